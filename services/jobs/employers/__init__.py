"""Employers: Haizhu partners, Weng'an workshops (扶贫车间) and dedicated-post units (扶贫专岗)."""
