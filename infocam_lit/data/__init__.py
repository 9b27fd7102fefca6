"""LightningDataModules, one file per dataset."""
