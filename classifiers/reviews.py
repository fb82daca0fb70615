"""Analysts' decisions as training examples (`certwatch train --with-reviews`)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from classifiers.corpus import LABELS, Example
from store.models import Listing, Review


def reviewed_examples(engine: Engine) -> list[Example]:
    """The latest decision per listing, on the listing's current text."""
    latest = (select(Review.listing_id, func.max(Review.id).label("review_id"))
              .group_by(Review.listing_id).subquery())
    with Session(engine) as session:
        rows = session.execute(
            select(Review.label, Listing.id, Listing.title, Listing.text)
            .join(latest, latest.c.review_id == Review.id)
            .join(Listing, Listing.id == Review.listing_id)
            .order_by(Listing.id)
        ).all()
    return [Example(id=f"review-{lid}", label=label, title=title, text=text,
                    platform="review")
            for label, lid, title, text in rows if label in LABELS]
