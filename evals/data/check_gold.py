#!/usr/bin/env python3
"""Check the cstassist evaluation gold set (evals/data/gold.jsonl).

Usage (from the repository root):
    python3 evals/data/check_gold.py [GOLD_FILE] [--corpus DIR] [--strict] [--explain ID]

Errors (exit status 1):
  * a line that is not a JSON object, missing/extra fields, wrong field types
  * duplicate ids, ids whose prefix does not match the kind (q/f answerable,
    u unanswerable)
  * unknown document ids, answerable items without documents/evidence,
    unanswerable items with documents/evidence/follow_up_of
  * an evidence string that does not occur verbatim in its document after
    collapsing whitespace on both sides (" ".join(s.split()))
  * a multi-document item whose evidence list is not one string per document
  * a follow_up_of that does not refer to an existing (earlier) answerable item
  * split not "dev"/"heldout"; a follow-up in a different split from the question
    it follows
  * category/absent malformed: answerable items need "category": null and
    "absent": []; unanswerable items need a category ("off-topic", "uncovered",
    "near-miss") and 1-4 key terms in "absent"
  * absent-term check: an unanswerable item whose key terms ALL occur in one
    corpus sentence, or in a window of two consecutive sentences (the offending
    text is printed). Terms match case-insensitively on word boundaries; the
    last word of a term may also take a simple ending (s, es, 's,
    d, ed, ing; y -> ies). See FORMAT.md for the exact rules and the check's limits.
  * two items with the same question text (case and spacing ignored)

Warnings (reported, only fail the run with --strict):
  * evidence shorter than 4 or longer than 12 words
  * evidence containing markdown/link symbols (* # | [ ])
  * evidence that spans a line break in the source file
  * a question that copies 5+ consecutive words of its evidence

Option --explain ID prints, for one unanswerable item, every corpus sentence
that contains any of its key terms (to help choose terms).

Standard library only.
"""

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIELDS = ["id", "question", "kind", "documents", "evidence", "follow_up_of", "category", "absent", "split"]
KINDS = {"answerable", "unanswerable", "broad"}
BROAD_FIELD = "key_points"  # the tenth field, on broad items only
KEY_POINTS = (3, 6)  # key points per broad item
SPLITS = {"dev", "heldout"}
CATEGORIES = {"off-topic", "uncovered", "near-miss"}
MAX_ABSENT = 4  # key terms per unanswerable item
MAX_TERM_WORDS = 4  # words per key term
WINDOW = 2  # sentences: a single sentence and every run of this many consecutive sentences are checked
ID_RE = {
    "q": re.compile(r"^q\d{3,}$"),
    "f": re.compile(r"^f\d{3,}$"),
    "u": re.compile(r"^u\d{3,}$"),
    "b": re.compile(r"^b\d{3,}$"),
}
MARKUP_RE = re.compile(r"[*#|\[\]]")
COPY_RUN = 5  # a question sharing this many consecutive words with its evidence is flagged


def norm(s):
    return " ".join(s.split())


def words(s):
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", s.lower())


def shared_run(a, b, n):
    """Return the first run of n consecutive words that a and b share, or None."""
    wa, wb = words(a), words(b)
    grams = {tuple(wb[i : i + n]) for i in range(len(wb) - n + 1)}
    for i in range(len(wa) - n + 1):
        g = tuple(wa[i : i + n])
        if g in grams:
            return " ".join(g)
    return None


# ---- absent-term check -------------------------------------------------------
LINK_RE = re.compile(r"\]\([^)]*\)")  # markdown link target: ](...)
SENT_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"”’')])\s+")


def fold(s):
    """Lower-case and unify apostrophes/dashes so that terms and corpus compare alike."""
    return s.lower().replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")


def corpus_sentences(text):
    """Split one document into sentences: every non-blank line is split after . ! or ?
    followed by whitespace. Markdown symbols and link targets are removed first."""
    out = []
    for line in text.splitlines():
        line = LINK_RE.sub(" ", line)
        line = MARKUP_RE.sub(" ", line)
        line = " ".join(line.split())
        if not line:
            continue
        out.extend(p.strip() for p in SENT_SPLIT_RE.split(line) if p.strip())
    return out


def term_regex(term):
    """Regex for one key term: its words in order, separated by spaces or hyphens,
    on word boundaries. The last word may also take a simple ending: s, es, d, ed,
    ing, and a possessive 's / s'; a final consonant + y may also read ies / ied.
    So "trustee" matches "trustees", "academy" "academies", "elect" "elected".
    A term that starts or ends with a symbol (e.g. "£") has no word boundary on
    that side and no ending."""
    ws = fold(term).split()
    last = ws[-1]
    if not last[-1].isalpha():
        last_re = re.escape(last)
    elif len(last) > 1 and last.endswith("y") and last[-2] not in "aeiou":
        last_re = re.escape(last[:-1]) + r"(?:y|ies|ied|ying|ys)(?:'s|')?"
    else:
        last_re = re.escape(last) + r"(?:s|es|d|ed|ing)?(?:'s|')?"
    body = r"[\s-]+".join([re.escape(w) for w in ws[:-1]] + [last_re])
    head = r"(?<![a-z0-9])" if ws[0][0].isalnum() else ""
    tail = r"(?![a-z0-9])" if last[-1].isalnum() else ""
    return re.compile(head + body + tail)


def sentence_windows(sents_by_doc):
    """Yield (doc, text) for every single sentence and every WINDOW consecutive sentences."""
    for d, sents in sents_by_doc.items():
        for i in range(len(sents)):
            for n in range(1, WINDOW + 1):
                if i + n <= len(sents):
                    yield d, " ".join(sents[i : i + n])


def fold_key(line):
    """A corpus line as a key point is looked for in it: markdown symbols and link targets removed, whitespace
    collapsed, lower-cased (what the parsed passage, and so an answer quoting it, reads)."""
    return " ".join(MARKUP_RE.sub(" ", LINK_RE.sub(" ", line)).split()).lower()


def check_broad(o, tag, raw, stripped_lines, errors):
    """A broad item: no evidence, no follow-up, no category/absent; 3-6 key points, each a list of alternative
    phrases, every phrase stated within one line of one of the item's documents."""
    docs, kps = o["documents"], o.get(BROAD_FIELD)
    if o["evidence"] or o["follow_up_of"] is not None or o["category"] is not None or o["absent"] != []:
        errors.append(f'{tag}: broad item needs "evidence": [], "follow_up_of": null, "category": null, "absent": []')
    unknown = [d for d in docs if d not in raw]
    if not docs or unknown:
        errors.append(f"{tag}: broad item needs known documents (unknown: {unknown})")
        return
    lo, hi = KEY_POINTS
    if not isinstance(kps, list) or not lo <= len(kps) <= hi:
        errors.append(f"{tag}: broad item needs {lo}-{hi} key points in {BROAD_FIELD!r}")
        return
    used = set()
    for kp in kps:
        if not isinstance(kp, list) or not kp or not all(isinstance(a, str) and a.strip() for a in kp):
            errors.append(f"{tag}: each key point is a non-empty list of phrases (alternatives): {kp!r}")
            continue
        for alt in kp:
            a = " ".join(alt.split()).lower()
            where = [d for d in docs if any(a in ln for ln in stripped_lines[d])]
            if not where:
                errors.append(f"{tag}: key point {alt!r} is not stated within one line of {docs}")
            if MARKUP_RE.search(alt):
                errors.append(f"{tag}: key point contains markdown/link symbols: {alt!r}")
            used.update(where)
    if set(docs) - used:
        errors.append(f"{tag}: no key point comes from {sorted(set(docs) - used)}")


def default_corpus():
    for cand in (REPO / "corpus", Path("/work/shared/corpus")):
        if cand.is_dir():
            return cand
    return REPO / "corpus"


def load_corpus(folder):
    docs = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix in (".txt", ".md"):
            docs[p.stem] = p.read_text(encoding="utf-8")
    return docs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gold", nargs="?", default=str(HERE / "gold.jsonl"))
    ap.add_argument("--corpus", default=None, help="folder holding the corpus files (default: <repo>/corpus)")
    ap.add_argument("--strict", action="store_true", help="treat warnings as errors")
    ap.add_argument("--explain", metavar="ID", help="print corpus sentences containing any key term of this item")
    args = ap.parse_args()

    corpus_dir = Path(args.corpus) if args.corpus else default_corpus()
    if not corpus_dir.is_dir():
        print(f"ERROR: corpus folder not found: {corpus_dir}")
        return 1
    raw = load_corpus(corpus_dir)
    if not raw:
        print(f"ERROR: no .txt/.md documents in {corpus_dir}")
        return 1
    flat = {d: norm(t) for d, t in raw.items()}
    lines_of = {d: [norm(ln) for ln in t.splitlines()] for d, t in raw.items()}
    stripped_lines = {d: [fold_key(ln) for ln in t.splitlines()] for d, t in raw.items()}
    sents_by_doc = {d: corpus_sentences(t) for d, t in raw.items()}
    windows = [(d, txt, fold(txt)) for d, txt in sentence_windows(sents_by_doc)]

    errors, warnings = [], []
    items, seen, seen_q = [], {}, {}

    with open(args.gold, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                warnings.append(f"line {lineno}: blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {lineno}: invalid JSON ({e})")
                continue
            if not isinstance(obj, dict):
                errors.append(f"line {lineno}: not a JSON object")
                continue
            missing = [f for f in FIELDS if f not in obj]
            extra = [f for f in obj if f not in FIELDS and not (f == BROAD_FIELD and obj.get("kind") == "broad")]
            if missing:
                errors.append(f"line {lineno}: missing field(s) {missing}")
                continue
            if extra:
                errors.append(f"line {lineno}: unexpected field(s) {extra}")
            iid = obj["id"]
            tag = f"line {lineno} ({iid})"
            if not isinstance(iid, str) or not iid:
                errors.append(f"line {lineno}: id must be a non-empty string")
                continue
            if iid in seen:
                errors.append(f"{tag}: duplicate id (first on line {seen[iid]})")
            seen.setdefault(iid, lineno)
            if not isinstance(obj["question"], str) or not obj["question"].strip():
                errors.append(f"{tag}: question must be a non-empty string")
            if obj["kind"] not in KINDS:
                errors.append(f"{tag}: kind must be one of {sorted(KINDS)}")
            for f in ("documents", "evidence"):
                if not isinstance(obj[f], list) or not all(isinstance(x, str) and x for x in obj[f]):
                    errors.append(f"{tag}: {f} must be a list of non-empty strings")
                    obj[f] = []
            fu = obj["follow_up_of"]
            if fu is not None and not isinstance(fu, str):
                errors.append(f"{tag}: follow_up_of must be null or an id string")
            if obj["split"] not in SPLITS:
                errors.append(f"{tag}: split must be one of {sorted(SPLITS)}")
            if not isinstance(obj["absent"], list) or not all(isinstance(x, str) and x.strip() for x in obj["absent"]):
                errors.append(f"{tag}: absent must be a list of non-empty strings")
                obj["absent"] = []
            qn = " ".join(obj["question"].lower().split()) if isinstance(obj["question"], str) else ""
            if qn and qn in seen_q:
                errors.append(f"{tag}: same question as {seen_q[qn]}")
            seen_q.setdefault(qn, iid)
            obj["_line"] = lineno
            items.append(obj)

    by_id = {}
    for o in items:
        by_id.setdefault(o["id"], o)
    for o in items:
        iid, kind, docs, ev, fu = o["id"], o["kind"], o["documents"], o["evidence"], o["follow_up_of"]
        tag = f"line {o['_line']} ({iid})"
        # id prefix vs kind
        prefix = {"unanswerable": "u", "broad": "b"}.get(kind) or ("f" if fu is not None else "q")
        if not ID_RE[prefix].match(iid):
            errors.append(f"{tag}: id should look like {prefix}NNN for this kind of item")

        if fu is not None and kind != "unanswerable":
            base = by_id.get(fu)
            if base is None:
                errors.append(f"{tag}: follow_up_of {fu!r} does not exist")
            elif base["_line"] >= o["_line"]:
                errors.append(f"{tag}: follow_up_of {fu!r} must appear earlier in the file")
            elif base["kind"] != "answerable":
                errors.append(f"{tag}: follow_up_of {fu!r} is not an answerable item")
            elif base["split"] != o["split"]:
                errors.append(f"{tag}: follow-up is in split {o['split']!r} but {fu!r} is in {base['split']!r}")

        cat, absent = o["category"], o["absent"]
        if kind == "broad":
            check_broad(o, tag, raw, stripped_lines, errors)
            continue
        if kind == "unanswerable":
            if docs or ev:
                errors.append(f"{tag}: unanswerable item must have empty documents and evidence")
            if fu is not None:
                errors.append(f"{tag}: unanswerable item must not be a follow-up")
            if cat not in CATEGORIES:
                errors.append(f"{tag}: unanswerable item needs category, one of {sorted(CATEGORIES)}")
            if not 1 <= len(absent) <= MAX_ABSENT:
                errors.append(f"{tag}: unanswerable item needs 1-{MAX_ABSENT} key terms in absent (got {len(absent)})")
                continue
            folded = [" ".join(fold(t).split()) for t in absent]
            if len(set(folded)) != len(folded):
                errors.append(f"{tag}: repeated key term in absent")
            bad = [t for t in absent if not re.search(r"[a-z0-9£$€%]", fold(t)) or len(t.split()) > MAX_TERM_WORDS]
            if bad:
                errors.append(
                    f"{tag}: key terms must be 1-{MAX_TERM_WORDS} words, each term with a letter, digit, £, $, € or %: {bad}"
                )
                continue
            regs = [term_regex(t) for t in absent]
            for d, txt, ftxt in windows:
                if all(r.search(ftxt) for r in regs):
                    errors.append(f"{tag}: all key terms {absent} occur together in {d}: {txt!r}")
                    break
            continue

        if cat is not None or absent != []:
            errors.append(f'{tag}: answerable item must have "category": null and "absent": []')

        if not docs:
            errors.append(f"{tag}: answerable item has no documents")
        if not ev:
            errors.append(f"{tag}: answerable item has no evidence")
        if len(set(docs)) != len(docs):
            errors.append(f"{tag}: repeated document id")
        unknown = [d for d in docs if d not in raw]
        if unknown:
            errors.append(f"{tag}: unknown document id(s) {unknown}; known: {sorted(raw)}")
            continue
        if len(docs) > 1:
            if len(ev) != len(docs):
                errors.append(f"{tag}: {len(docs)} documents need exactly one evidence string each (got {len(ev)})")
                continue
            pairs = list(zip(docs, ev))
        else:
            pairs = [(docs[0], e) for e in ev]

        for d, e in pairs:
            ne = norm(e)
            if ne not in flat[d]:
                others = [x for x in flat if ne in flat[x]]
                hint = f" (but found in {others})" if others else ""
                errors.append(f"{tag}: evidence not found verbatim in {d}: {e!r}{hint}")
                continue
            n = len(ne.split())
            if not 4 <= n <= 12:
                warnings.append(f"{tag}: evidence has {n} words (aim for 4-12): {e!r}")
            if MARKUP_RE.search(e):
                warnings.append(f"{tag}: evidence contains markdown/link symbols: {e!r}")
            if not any(ne in ln for ln in lines_of[d]):
                warnings.append(f"{tag}: evidence crosses a line break in {d}: {e!r}")
            run = shared_run(o["question"], e, COPY_RUN)
            if run:
                warnings.append(f"{tag}: question copies evidence wording ({run!r})")

    if args.explain:
        o = by_id.get(args.explain)
        if o is None:
            print(f"ERROR: no item {args.explain!r}")
            return 1
        print(f"{o['id']}: {o['question']}")
        for t in o["absent"]:
            r = term_regex(t)
            hits = [(d, txt) for d, sents in sents_by_doc.items() for txt in sents if r.search(fold(txt))]
            print(f"  term {t!r}: {len(hits)} sentence(s)")
            for d, txt in hits:
                print(f"    {d}: {txt}")
        return 0

    # ---- report ----
    kinds = Counter(o["kind"] for o in items)
    followups = sum(1 for o in items if o["follow_up_of"] is not None)
    multi = sum(1 for o in items if len(o["documents"]) > 1 and o["kind"] == "answerable")
    per_doc = Counter(d for o in items for d in o["documents"] if o["kind"] == "answerable")
    single_doc = Counter(o["documents"][0] for o in items if len(o["documents"]) == 1 and o["kind"] == "answerable")

    print(f"gold file : {args.gold}")
    print(f"corpus    : {corpus_dir} ({len(raw)} documents)")
    print(f"items     : {len(items)}")
    print("per kind  :")
    for k in sorted(KINDS):
        print(f"  {k:<13} {kinds.get(k, 0)}")
    print(f"    of which follow-ups (answerable): {followups}")
    print(f"    of which multi-document (answerable): {multi}")
    print("per document (answerable items naming it; single-document items in brackets):")
    for d in sorted(raw):
        flag = "" if per_doc.get(d, 0) >= 5 else "   <-- fewer than 5"
        print(f"  {d:<34} {per_doc.get(d, 0):>3}  ({single_doc.get(d, 0)}){flag}")
    cats = Counter(o["category"] for o in items if o["kind"] == "unanswerable")
    print("unanswerable per category:")
    for c in sorted(CATEGORIES):
        print(f"  {c:<13} {cats.get(c, 0)}")
    print("per split (answerable / unanswerable / broad / total):")
    for sp in sorted(SPLITS):
        a = sum(1 for o in items if o["split"] == sp and o["kind"] == "answerable")
        u = sum(1 for o in items if o["split"] == sp and o["kind"] == "unanswerable")
        b = sum(1 for o in items if o["split"] == sp and o["kind"] == "broad")
        print(f"  {sp:<13} {a:>4} / {u:>4} / {b:>4} / {a + u + b:>4}")

    for w in warnings:
        print(f"WARNING: {w}")
    for e in errors:
        print(f"ERROR: {e}")
    failed = bool(errors) or (args.strict and bool(warnings))
    print(f"result    : {'FAIL' if failed else 'OK'} ({len(errors)} error(s), {len(warnings)} warning(s))")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
