"""基层公权力大数据监督 (big-data supervision of grassroots public power): the provincial discipline
commission's collision rules over village "micro-power" (six high-frequency matters), warnings that stay red
until rectification is verified on site, cases filed from warnings, and 监督一点通 for villagers."""
