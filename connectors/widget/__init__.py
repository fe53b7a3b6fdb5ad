"""The Stadtlotse web chat widget: its static files and the blueprint that serves them (serve.py)."""
