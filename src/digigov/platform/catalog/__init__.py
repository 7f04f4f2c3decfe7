"""IRS (一体化数字资源系统): the ledger of applications, datasets, components and cloud resources."""
