"""党政机关整体智治 applications (holistic smart governance of Party and government organs)."""
