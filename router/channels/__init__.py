"""Channel adapters: each turns its own protocol (Twilio webhooks, chat sockets, SMTP) into intake calls."""
