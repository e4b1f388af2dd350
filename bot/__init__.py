"""Telegram bot that coordinates the yearly work of a Vietnamese emulation cluster."""
