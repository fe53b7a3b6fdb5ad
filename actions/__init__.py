"""Custom actions of the Stadtlotse assistant, one module per domain (rasa-sdk registers them)."""
