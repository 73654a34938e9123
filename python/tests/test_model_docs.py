#!/usr/bin/python3
"""The bundled-models tables (docs/training.md, models/README.md) and the generated section
"The small models under issue 15's recipe" are what python/recipe_small.py writes from the
model cards and docs/ablation/recipe_small.jsonl: retraining a model without regenerating
them fails here. Also checks that each card states the recipe train.py would use today, and
that the results file's bundled ("new") rows are the models in the repository."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
import recipe_small  # noqa: E402
import train  # noqa: E402

fails = []


def need(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails.append(what)


table = recipe_small.model_table()
for path in (recipe_small.DOC, os.path.join(ROOT, "models", "README.md")):
    need(table in open(path).read(), f"{os.path.relpath(path, ROOT)} holds the model table generated from the cards")
rows = recipe_small.ablation.load_rows(recipe_small.RESULTS)
need(recipe_small.render(rows) in open(recipe_small.DOC).read(),
     "docs/training.md's small-model section is the one rendered from docs/ablation/recipe_small.jsonl")
for name in recipe_small.MODELS:
    card = open(os.path.join(ROOT, "models", name, "card.md")).read()
    recipe, _, _ = recipe_small.card_facts(card)
    need(recipe == train.recipe_text(train.RECIPES[name], 0),
         f"models/{name}/card.md states train.py's recipe for {name}: {recipe}")
    new = [r for r in rows if r["model"] == name and r["recipe"] == "new"]
    need(len(new) == 1 and new[0]["training"] == recipe,
         f"recipe_small.jsonl's bundled row of {name} was measured on a model trained as the card says")
    cur = os.path.join(ROOT, "models", name, "model.onnx")
    need(len(new) == 1 and new[0].get("model_sha256") == recipe_small.sha256(cur),
         f"recipe_small.jsonl's bundled row of {name} measured today's models/{name}/model.onnx (sha256)")
sys.exit(1 if fails else 0)
