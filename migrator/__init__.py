"""wallet-recon: the migrator that installs and versions the toolkit's SQL."""

__version__ = "0.2.0"
