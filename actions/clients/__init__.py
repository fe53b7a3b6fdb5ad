"""httpx clients of the open-data APIs, one per service; no rasa_sdk imports here."""
