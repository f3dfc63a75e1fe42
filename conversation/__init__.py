"""The conversation core: every channel's conversations, turns, hand-overs and ratings, in one place."""
