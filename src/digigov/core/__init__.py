"""The ground floor: settings, store, errors, clock, i18n. Imports no other digigov package."""
