"""Web channels: the embed script, the chat UI, deep links, QR codes, SMS links and ratings."""
