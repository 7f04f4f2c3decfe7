"""Dispatch classifier: free ticket text -> category (and so the responsible department).

jieba words (with the gazetteer's place names and the taxonomy's keywords as a user dictionary) and
character 1-2-grams, each TF-IDF weighted (sublinear tf) -> LinearSVC, one-vs-rest. The character n-grams
carry typos, homophones and wordings the generator never used (on 20 hand-written tickets: 20 right with
them, 18 with word 1-2-grams alone, at the same held-out accuracy). Scores are turned into probabilities
by a softmax whose temperature is fitted (least log-loss) on a tenth of the training data held back for it,
so `confidence` means something: tickets below LOW_CONFIDENCE go to the human dispatcher's queue.
Everything is deterministic for a seed; nothing is downloaded. `default_model()` trains on the demo
corpus once and caches the fitted model in the caller's var/ folder, keyed by CORPUS_VERSION.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jieba
import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from . import places, taxonomy
from .corpus import CORPUS_VERSION, labelled_corpus

LOW_CONFIDENCE = 0.9
TRAIN_SIZE = 10_000
TEST_FRACTION = 0.2
_PUNCT = re.compile(r"^[\W_]+$")
_lock = threading.Lock()
_jieba: jieba.Tokenizer | None = None


def domain_words() -> set[str]:
    """Place names and category keywords/names: kept whole by the tokenizer."""
    words = set(places.place_terms())
    for c in taxonomy.CATEGORIES:
        words.update(c.keywords)
        words.add(c.name)
    return {w for w in words if len(w) >= 2}


def _tokenizer() -> jieba.Tokenizer:
    global _jieba
    with _lock:
        if _jieba is None:
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word in sorted(domain_words()):
                tokenizer.add_word(word, freq=2000)
            _jieba = tokenizer
        return _jieba


def tok(s: str) -> list[str]:
    """jieba words of `s` (NFKC-normalised), punctuation dropped, numbers as "0". A module-level function,
    so fitted pipelines pickle and sklearn can clone them (jieba.lcut itself holds a lock)."""
    return ["0" if w.isdigit() else w for w in _tokenizer().lcut(unicodedata.normalize("NFKC", s))
            if w.strip() and not _PUNCT.match(w)]


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Model:
    pipeline: Pipeline
    temperature: float
    corpus_version: str = CORPUS_VERSION
    sklearn_version: str = sklearn.__version__
    _fast: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def scores(self, texts: list[str]) -> np.ndarray:
        """The SVM's decision scores, equal to pipeline.decision_function (tested) but computed ticket by
        ticket from the fitted vocabularies, idf weights and coefficients: sklearn's per-call input
        validation costs milliseconds, against a per-ticket budget of 20 ms."""
        blocks, weights, intercept = self._compiled()
        out = np.empty((len(texts), len(intercept)))
        for i, text in enumerate(texts):
            row = intercept.copy()
            for analyzer, vocabulary, idf, offset in blocks:
                counts = Counter(t for t in analyzer(text) if t in vocabulary)
                if not counts:
                    continue
                index = np.fromiter((vocabulary[t] for t in counts), dtype=np.intp, count=len(counts))
                values = (1 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * idf[index]
                row += (values / np.linalg.norm(values)) @ weights[offset + index]
            out[i] = row
        return out

    def _compiled(self) -> tuple[list[tuple[Any, dict[str, int], np.ndarray, int]], np.ndarray, np.ndarray]:
        if self._fast is None:
            blocks, offset = [], 0
            for _, vec in self.pipeline.named_steps["features"].transformer_list:
                blocks.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset))
                offset += len(vec.vocabulary_)
            svm = self.pipeline.named_steps["svm"]
            self._fast = (blocks, np.ascontiguousarray(svm.coef_.T), svm.intercept_.astype(float))
        return self._fast

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fast": None}

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return _softmax(self.scores(texts), self.temperature)

    def predict(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The `k` likeliest categories with their probabilities, best first."""
        return self.predict_many([text], k)[0]

    def predict_many(self, texts: list[str], k: int = 3) -> list[list[tuple[str, float]]]:
        probs = self.probabilities(texts)
        classes = self.classes
        order = np.argsort(-probs, axis=1)[:, :k]
        return [[(classes[j], float(row[j])) for j in idx] for row, idx in zip(probs, order, strict=True)]

    def confidence(self, text: str) -> float:
        return self.predict(text, k=1)[0][1]


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    best, best_loss = 1.0, float("inf")
    for temperature in np.geomspace(0.5, 50, 60):
        p = _softmax(scores, temperature)[np.arange(len(truth)), truth]
        loss = float(-np.log(np.clip(p, 1e-12, 1)).mean())
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def train(texts: list[str], labels: list[str], *, seed: int = 2021) -> Model:
    """Fit on 90 % of the data, the softmax temperature on the other 10 %."""
    fit_x, cal_x, fit_y, cal_y = train_test_split(texts, labels, test_size=0.1, random_state=seed, stratify=labels)
    pipeline = Pipeline([
        ("features", FeatureUnion([
            ("words", TfidfVectorizer(tokenizer=tok, token_pattern=None, lowercase=False, sublinear_tf=True,
                                      min_df=2)),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)),
        ])),
        ("svm", LinearSVC(C=0.5, random_state=seed)),
    ])
    pipeline.fit(fit_x, fit_y)
    index = {c: i for i, c in enumerate(pipeline.classes_)}
    truth = np.array([index[y] for y in cal_y])
    return Model(pipeline, _fit_temperature(np.asarray(pipeline.decision_function(cal_x)), truth))


def evaluate(model: Model, texts: list[str], labels: list[str],
             threshold: float = LOW_CONFIDENCE) -> dict[str, float]:
    """top-1 and top-3 accuracy, and how the low-confidence queue behaves at `threshold`: the share of
    tickets it takes (`low_share`), the share of top-1 errors it catches (`errors_caught`), and the
    top-1 accuracy of the tickets dispatched automatically (`auto_top1`)."""
    preds = model.predict_many(texts, k=3)
    right1 = np.array([p[0][0] == y for p, y in zip(preds, labels, strict=True)])
    right3 = np.array([y in {c for c, _ in p} for p, y in zip(preds, labels, strict=True)])
    low = np.array([p[0][1] < threshold for p in preds])
    errors = ~right1
    return {
        "top1": float(right1.mean()), "top3": float(right3.mean()), "n": len(labels),
        "low_share": float(low.mean()),
        "errors_caught": float((low & errors).sum() / max(1, errors.sum())),
        "auto_top1": float(right1[~low].mean()) if (~low).any() else 0.0,
    }


@dataclass(frozen=True)
class Split:
    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]


def held_out_split(seed: int = 2021, size: int = TRAIN_SIZE) -> Split:
    """The demo corpus for `seed`, split 80/20 (stratified) into training and held-out test texts."""
    data = labelled_corpus(seed, size)
    texts, labels = [t for t, _ in data], [c for _, c in data]
    a, b, c, d = train_test_split(texts, labels, test_size=TEST_FRACTION, random_state=seed, stratify=labels)
    return Split(a, c, b, d)


def save(model: Model, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # two processes may train at once (parallel tests)
    joblib.dump(model, tmp)
    tmp.replace(path)


def load(path: Path) -> Model:
    """A model saved by `save` (only ever load files this application wrote: joblib is pickle)."""
    model = joblib.load(path)
    if not isinstance(model, Model):
        raise TypeError(f"{path} does not hold a dispatch model")
    return model


def default_model(var_dir: Path, seed: int = 2021, size: int = TRAIN_SIZE) -> Model:
    """The model trained on the training split of the demo corpus (`seed`, `size`), cached under
    `var_dir`; retrained when the corpus version or the scikit-learn version changes, or the file cannot
    be read."""
    name = f"dispatch_{CORPUS_VERSION}_{seed}" + ("" if size == TRAIN_SIZE else f"_{size}")
    path = Path(var_dir) / "people_call_we_act" / f"{name}.joblib"
    if path.exists():
        try:
            model = load(path)
            if model.corpus_version == CORPUS_VERSION and model.sklearn_version == sklearn.__version__:
                return model
        except Exception as exc:  # noqa: BLE001 - a stale or damaged cache file is simply rebuilt
            logging.getLogger(__name__).warning("rebuilding dispatch model %s: %s", path.name, exc)
    split = held_out_split(seed, size)
    model = train(split.train_texts, split.train_labels, seed=seed)
    save(model, path)
    return model


@dataclass(frozen=True)
class Dispatch:
    category: str
    department_code: str | None
    confidence: float
    needs_human: bool
    candidates: list[tuple[str, float]]
    location: places.Location


def dispatch(model: Model, text: str, lon: float | None = None, lat: float | None = None,
             threshold: float = LOW_CONFIDENCE) -> Dispatch:
    """Category, location and responsible department for one ticket. It needs a human dispatcher when
    the classifier is unsure or the place can't be found (no department can be named then)."""
    candidates = model.predict(text, k=3)
    category, confidence = candidates[0]
    where = places.locate(text, lon, lat)
    department = taxonomy.route(category, where.county_code) if where.county_code else None
    return Dispatch(category, department, confidence, confidence < threshold or department is None,
                    candidates, where)
