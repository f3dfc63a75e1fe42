"""Crisis mode ("beredskab", issue 15): one crisis per municipality, shared by the console and every channel."""
