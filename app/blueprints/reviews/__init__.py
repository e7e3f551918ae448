"""Reviews: how households moved between review years, and how the official results differ from
the preliminary ones."""
