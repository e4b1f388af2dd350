"""Gettext catalogs (vi is the source of truth for tone; en is complete too)."""
