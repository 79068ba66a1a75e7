"""Commands that need the Slack side: each module adds its own through `register(app)`."""
