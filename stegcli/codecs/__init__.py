"""Codecs: a payload (images or bytes) through a hiding network on real 8-bit images, by one engine."""
