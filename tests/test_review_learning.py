"""Analysts' decisions teach the classifier: `certwatch train --with-reviews` uses them and
prints the before and after on the held-out split and on the reviewed listings."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.model import model_dir
from review.decisions import Decision, decide
from review.users import CurrentUser
from store.db import open_store
from store.models import Listing
from tests.conftest import certwatch
from tests.review_helpers import seed


def test_train_with_reviews_learns_decisions_and_reports_before_after(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    engine = open_store(f"sqlite:///{db}")
    seed(engine, tmp_path / "bodies")
    analyst = CurrentUser(id=0, name="alice", role="analyst", csrf_token="", session_id=0)
    with Session(engine) as session:
        ids = dict(session.execute(select(Listing.key, Listing.id)).all())
        decide(session, analyst, "listing", [ids["g1"], ids["g2"]], Decision("confirm",
                                                                            "guazheng"))
        decide(session, analyst, "listing", [ids["f1"]], Decision("confirm", "fake_cert"))
        decide(session, analyst, "listing", [ids["b1"], ids["t1"]], Decision("dismiss"))
        decide(session, analyst, "listing", [ids["e1"]], Decision("needs_info"))
        session.commit()
    models = tmp_path / "model"
    shutil.copytree(model_dir(), models)  # "before" is the model in use now
    proc = certwatch("train", "--with-reviews", home=tmp_path, timeout=900,
                     env={"CERTWATCH_DB_URL": f"sqlite:///{db}",
                          "CERTWATCH_MODEL_DIR": str(models)})
    assert "with 5 analyst-reviewed listing(s)" in proc.stderr
    out = proc.stdout
    assert "before and after learning from the analysts' decisions:" in out
    row = re.search(r"macro-F1 \(held out\)\s+(\d\.\d{3})\s+(\d\.\d{3})", out)
    assert row, out
    agree = re.search(r"agreement with analysts \(5 reviewed\)\*\s+(\d\.\d{3})\s+(\d\.\d{3})",
                      out)
    assert agree, out
    # The new model was fitted on those reviews: the table must not pass that off as a test.
    assert re.search(r"^\* after: in-sample, the new model was trained on these reviews", out,
                     re.M), out
    # t1 was flagged and the analyst dismissed it: the old model disagreed at least there.
    assert float(agree.group(1)) < 1.0
    assert float(agree.group(2)) >= float(agree.group(1))
    metadata = json.loads((models / "model.json").read_text("utf-8"))
    assert metadata["counts"]["reviews"] == 5
