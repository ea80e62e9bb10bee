"""Mail: check-in messages, reply tokens, the outbox dispatcher and SMTP transports."""
