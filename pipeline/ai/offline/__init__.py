"""The offline AI engine: extractive, deterministic, no network; fills the same schemas as OpenAI."""

from .engine import OfflineEngine

__all__ = ["OfflineEngine"]
