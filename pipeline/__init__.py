"""The "Dân vận khéo" emulation pipeline: self-scoring workbooks in, ranked summaries out."""

__version__ = "0.4.0"
