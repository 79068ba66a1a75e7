"""Signals beyond the daily digest: coverage spikes of a company against its own baseline, and charts."""
