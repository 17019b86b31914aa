"""Pandera schemas of the parsed forms, and the rules files they are built from."""
