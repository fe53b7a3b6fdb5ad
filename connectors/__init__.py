"""Rasa input/output channels of the Stadtlotse assistant, registered by module path in credentials.yml."""
