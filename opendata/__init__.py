"""Embedded open-data server: CKAN, ParkAPI v3, VRR EFA, NRW ZuFi and application status."""
