"""Stadtlotse runtime: settings, city profile, spaCy pipeline build, launcher."""
