"""Bringing the scaled-out mode up on one machine (deploy/cluster.py) and showing it work."""
