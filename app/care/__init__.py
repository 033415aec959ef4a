"""Satisfaction and complaints (满意度, 投诉): the rating of a settled work order and the complaint a
low rating opens for the owner."""
