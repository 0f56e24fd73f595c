"""Personal offers: what a member is shown, their answers, the leads partners get.

The recommender (``recommender/``) scores; this package loads its inputs from
the database as frames, turns its scores into offers with prices, records
answers and creates leads. A partner learns nothing about a member until the
member accepts an offer.
"""
