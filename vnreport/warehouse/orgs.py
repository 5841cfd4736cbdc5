"""Organization resolution: one row per body, however articles write its name.

Articles name the same Party committee many ways: `Đảng ủy Khối Doanh nghiệp
quận Long Biên`, `Đảng bộ Khối doanh nghiệp quận`, `ĐUK DN Long Biên`. The
committee (Đảng ủy) and the Party organization it leads (Đảng bộ) are the same
body for the warehouse, abbreviations are expanded, and the place is often left
to the article's context, so the district and province the report gives are
used to complete it. A name is reduced to a *match key*: the accent-folded
body (`khoi doanh nghiep`), its kind, and where it sits (`district`, `Long
Biên`, `Hà Nội`). Mentions with the same body match when their places agree;
a missing province or district is compatible with any, but when that leaves
more than one candidate the mention gets its own organization (a wrong merge
would mix two bodies' numbers; a split only shows up as two rows).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# Abbreviations as articles write them (upper case, so `du` in `du lịch` stays a word).
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"TP\.?\s*HCM", "thành phố Hồ Chí Minh"),
    (r"ĐUK", "Đảng ủy Khối"),
    (r"ĐBK", "Đảng bộ Khối"),
    (r"ĐU", "Đảng ủy"),
    (r"ĐB", "Đảng bộ"),
    (r"BTV", "Ban Thường vụ"),
    (r"TCCSĐ", "tổ chức cơ sở đảng"),
    (r"KCN", "Khu công nghiệp"),
    (r"CCN", "Cụm công nghiệp"),
    (r"KKT", "Khu kinh tế"),
    (r"KCX", "Khu chế xuất"),
    (r"DNNN", "doanh nghiệp nhà nước"),
    (r"DN", "Doanh nghiệp"),
    (r"CQ", "Cơ quan"),
    (r"CTCP", "Công ty cổ phần"),
    (r"CP", "cổ phần"),
    (r"TNHH", "trách nhiệm hữu hạn"),
    (r"MTV", "một thành viên"),
    (r"TCT", "Tổng công ty"),
    (r"XN", "Xí nghiệp"),
    (r"HTX", "Hợp tác xã"),
    (r"TP\.?|Tp\.?", "thành phố"),
    (r"TX\.?", "thị xã"),
    (r"Q\.", "quận"),
    (r"H\.", "huyện"),
)
_ABBREV_RE = [(re.compile(rf"(?<![\wÀ-ỹ]){pat}(?![\wÀ-ỹ])"), repl) for pat, repl in ABBREVIATIONS]

# Party prefixes: the committee, its standing committee, the organization itself.
PARTY_PREFIXES = (
    "ban chap hanh dang bo",
    "ban thuong vu dang uy",
    "ban thuong vu dang bo",
    "dang uy",
    "dang bo",
    "chi bo",
)
PROVINCE_LEVEL_CITIES = {"ha noi", "ho chi minh", "hai phong", "da nang", "can tho", "hue"}
# `co quan` (agencies) is not a district; `tinh uy`, `quan uy` are committees, not places.
ADMIN_RE = re.compile(r"\b(tinh|thanh pho|(?<!co )quan|huyen|thi xa)\b(?! uy\b)")
CLUSTER_RE = re.compile(r"^cum (?:thi dua )?(?:so )?(\d+)\b")
LEGAL_FORMS = ("cong ty co phan", "co phan", "trach nhiem huu han", "mot thanh vien", "jsc")
DROP_WORDS = {"cac", "co so", "truc thuoc"}

KINDS: tuple[tuple[str, str], ...] = (
    ("khoi doanh nghiep", "enterprise_block"),
    ("khoi co quan", "agency_block"),
    ("khu cong nghiep", "industrial_zones"),
    ("khu kinh te", "industrial_zones"),
    ("khu che xuat", "industrial_zones"),
    ("cum", "cluster"),
    ("tong cong ty", "enterprise"),
    ("cong ty", "enterprise"),
    ("tap doan", "enterprise"),
    ("xi nghiep", "enterprise"),
    ("nha may", "enterprise"),
    ("ngan hang", "enterprise"),
    ("hop tac xa", "enterprise"),
    ("benh vien", "enterprise"),
    ("truong", "enterprise"),
)


def _kind(folded: str) -> str:
    """Enterprises are recognized by a leading cue; blocks and zones anywhere in the body."""
    for cue, kind in KINDS:
        if folded.startswith(cue + " ") or (kind != "enterprise" and f" {cue} " in f" {folded} "):
            return kind
    return "other"


@functools.lru_cache(maxsize=65536)
def fold(text: str | None) -> str:
    """Accent- and case-folded words: old/new tone placement (uỷ/ủy) and spacing stop mattering.

    Cached: resolving a mention folds the places of every candidate organization again.
    """
    if not text:
        return ""
    t = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    t = "".join(ch for ch in t if unicodedata.category(ch) != "Mn").lower()
    t = re.sub(r"[^\w]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def expand_abbreviations(name: str) -> str:
    text = unicodedata.normalize("NFC", name)
    for rx, repl in _ABBREV_RE:
        text = rx.sub(repl, text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class ParsedName:
    body: str  # folded body without Party prefix and places, "khoi doanh nghiep"
    kind: str
    level: str  # province | district | enterprise | unknown
    province: str  # folded, "" when unknown
    district: str  # folded, "" when unknown


def _strip_suffix_words(body: str, place: str) -> tuple[str, bool]:
    if place and (body == place or body.endswith(" " + place)):
        return body[: len(body) - len(place)].strip(), True
    return body, False


def parse_name(name: str, province: str | None = None, district: str | None = None) -> ParsedName:
    """Split a name into body, kind and place, completing the place from the report's fields."""
    folded = fold(expand_abbreviations(name))
    for prefix in PARTY_PREFIXES:
        if folded.startswith(prefix + " "):
            folded = folded[len(prefix) + 1 :]
            break
    ctx_prov, ctx_dist = fold(province), fold(district)
    cluster = CLUSTER_RE.match(folded)
    if cluster:
        # Emulation clusters are numbered within a province; the description of their
        # members after the number ("(Điện - Nước - Dược)") is written differently each time.
        rest = folded[cluster.end() :]
        prov = ""
        m = re.search(r"\b(?:tinh|thanh pho) (.+)$", rest)
        if m:
            prov = m.group(1).strip()
        elif ctx_prov and (rest == ctx_prov or rest.endswith(" " + ctx_prov)):
            prov = ctx_prov
        return ParsedName(f"cum {cluster.group(1)}", "cluster", "province", prov or ctx_prov, "")
    if _kind(folded) == "enterprise":
        # A company is known by its whole name (places in it included); the article's
        # place only describes it, and the legal form (cổ phần, TNHH MTV) comes and goes.
        body = f" {folded} "
        for w in LEGAL_FORMS:
            body = body.replace(f" {w} ", " ")
        body = re.sub(r"\s+", " ", body).strip()
        return ParsedName(body, "enterprise", "enterprise", ctx_prov, ctx_dist)

    # Places written with an admin word: "... quan long bien thanh pho ha noi".
    parts = ADMIN_RE.split(folded)
    body = parts[0].strip()
    prov = dist = ""
    admin_level = ""
    for word, value in zip(parts[1::2], parts[2::2], strict=True):
        value = value.strip()
        if word == "tinh" or (
            word == "thanh pho" and (value in PROVINCE_LEVEL_CITIES or not value)
        ):
            prov = value or prov
            admin_level = admin_level or "province"
        else:
            dist = value or dist
            admin_level = "district"
    # Places written without one: "Khoi doanh nghiep Long Bien", "cac KCN Bac Ninh".
    if not dist and ctx_dist:
        body, hit = _strip_suffix_words(body, ctx_dist)
        if hit:
            dist, admin_level = ctx_dist, "district"
    if not prov and ctx_prov:
        body, hit = _strip_suffix_words(body, ctx_prov)
        if hit:
            prov = ctx_prov
            admin_level = admin_level or "province"

    words = f" {body} "
    for w in DROP_WORDS:
        words = words.replace(f" {w} ", " ")
    body = re.sub(r"\s+", " ", words).strip()
    kind = _kind(body)
    level = admin_level
    if level == "district":
        dist = dist or ctx_dist
        prov = prov or ctx_prov
    elif level == "province":
        prov = prov or ctx_prov
        dist = ""
    elif ctx_dist:
        level, dist, prov = "district", ctx_dist, ctx_prov
    elif ctx_prov:
        level, prov = "province", ctx_prov
    else:
        level = "unknown"
    return ParsedName(body=body, kind=kind, level=level, province=prov, district=dist)


@dataclass
class Organization:
    org_id: str
    canonical_name: str
    kind: str
    level: str
    province: str | None
    district: str | None
    match_key: str
    first_seen_run: str | None = None
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Mention:
    name: str
    province: str | None = None
    district: str | None = None
    doc_id: str | None = None


def _hash(*parts: str | None) -> str:
    return hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()[:16]


def _compatible_level(a: str, b: str) -> bool:
    """A name that says nothing of its level (no place, none in the report) fits any level."""
    return a == b or "unknown" in (a, b)


def _compatible(a: str, b: str) -> bool:
    return not a or not b or a == b


def _display_place(raw: str | None, folded: str, name: str = "") -> str | None:
    """The place as written (with its accents): the report's field, else the words in the name."""
    if not folded:
        return None
    if raw and fold(raw) == folded:
        return raw
    words = re.findall(r"\w+", expand_abbreviations(name))
    want = folded.split()
    for i in range(len(words) - len(want) + 1):
        if [fold(w) for w in words[i : i + len(want)]] == want:
            return " ".join(words[i : i + len(want)])
    return folded.title()


def _canonical_name(
    mention: Mention, parsed: ParsedName, org_province: str | None, org_district: str | None
) -> str:
    name = expand_abbreviations(mention.name)
    f = fold(name)
    if parsed.level == "district" and org_district and fold(org_district) not in f:
        name = f"{name} {org_district}"
    elif parsed.level == "province" and org_province and fold(org_province) not in f:
        name = f"{name} {org_province}"
    return name


def _completeness(name: str, kind: str) -> tuple[int, int, int]:
    """Prefer names with no abbreviations left, then (for companies) without the Party
    prefix, which names the company's Party body rather than the company, then longer ones."""
    abbreviated = sum(1 for rx, _ in _ABBREV_RE if rx.search(name))
    f = fold(name)
    prefixed = kind == "enterprise" and any(f.startswith(p + " ") for p in PARTY_PREFIXES)
    return (-abbreviated, -int(prefixed), len(f))


class Resolver:
    """Matches mentions against known organizations; creates new ones when nothing fits."""

    def __init__(self, known: Iterable[Organization] = ()) -> None:
        self.orgs: dict[str, Organization] = {}
        self.by_body: dict[str, list[str]] = {}
        self.created: set[str] = set()
        self.changed: set[str] = set()
        for org in known:
            self._index(org)

    def _index(self, org: Organization) -> None:
        self.orgs[org.org_id] = org
        body = org.match_key.split("|", 1)[0]
        self.by_body.setdefault(body, []).append(org.org_id)

    def resolve(self, mention: Mention, *, run_id: str | None = None) -> str:
        parsed = parse_name(mention.name, mention.province, mention.district)
        candidates = []
        for oid in self.by_body.get(parsed.body, []):
            org = self.orgs[oid]
            if not _compatible_level(org.level, parsed.level):
                continue
            prov, dist = fold(org.province), fold(org.district)
            if _compatible(prov, parsed.province) and _compatible(dist, parsed.district):
                exact = (prov == parsed.province) + (dist == parsed.district)
                candidates.append((exact, oid))
        candidates.sort(reverse=True)
        if candidates and (len(candidates) == 1 or candidates[0][0] > candidates[1][0]):
            org = self.orgs[candidates[0][1]]
            self._merge(org, mention, parsed)
            return org.org_id
        return self._create(mention, parsed, run_id)

    def _merge(self, org: Organization, mention: Mention, parsed: ParsedName) -> None:
        changed = False
        if org.level == "unknown" and parsed.level != "unknown":
            org.level = parsed.level
            changed = True
        if not org.province and parsed.province:
            org.province = _display_place(mention.province, parsed.province, mention.name)
            changed = True
        if not org.district and parsed.district and parsed.level != "enterprise":
            org.district = _display_place(mention.district, parsed.district, mention.name)
            changed = True
        candidate = _canonical_name(mention, parsed, org.province, org.district)
        if _completeness(candidate, org.kind) > _completeness(org.canonical_name, org.kind):
            org.canonical_name = candidate
            changed = True
        if mention.name not in org.aliases:
            org.aliases.append(mention.name)
        if changed:
            self.changed.add(org.org_id)

    def _create(self, mention: Mention, parsed: ParsedName, run_id: str | None) -> str:
        match_key = "|".join(
            (
                parsed.body,
                parsed.kind,
                parsed.level,
                parsed.province,
                parsed.district if parsed.level != "enterprise" else "",
            )
        )
        org_id = _hash("org", match_key)
        n = 1
        while org_id in self.orgs:
            n += 1
            org_id = _hash("org", match_key, str(n))
        province = _display_place(mention.province, parsed.province, mention.name)
        district = _display_place(mention.district, parsed.district, mention.name)
        org = Organization(
            org_id=org_id,
            canonical_name=_canonical_name(mention, parsed, province, district),
            kind=parsed.kind,
            level=parsed.level,
            province=province,
            district=district,
            match_key=match_key,
            first_seen_run=run_id,
            aliases=[mention.name],
        )
        self._index(org)
        self.created.add(org_id)
        return org_id


def alias_id(alias: str, province: str | None, district: str | None) -> str:
    return _hash("alias", alias, province, district)


# ----------------------------------------------------------------- warehouse side


# The stored organization's columns, in the order of Organization's fields.
ORG_COLUMNS = (
    "org_id", "canonical_name", "kind", "level", "province", "district", "match_key",
    "first_seen_run",
)  # fmt: skip


def load_known(con) -> list[Organization]:
    rows = con.execute(
        f"SELECT {', '.join(ORG_COLUMNS)} FROM organizations ORDER BY org_id"
    ).fetchall()
    return [Organization(*r) for r in rows]


ALIAS_COLUMNS = ("alias_id", "alias", "province", "district", "org_id", "first_doc_id")


def _insert(con, statement: str, columns: tuple[str, ...], rows: list) -> None:
    """`statement (columns) SELECT ...` over rows of strings, through Arrow in one call."""
    if not rows:
        return
    import pyarrow as pa

    table = pa.table(
        {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(columns)}
    )
    con.register("_rows_in", table)
    try:
        names = ", ".join(columns)
        con.execute(f"{statement} ({names}) SELECT {names} FROM _rows_in")
    finally:
        con.unregister("_rows_in")


def resolve_into(
    con, mentions: list[Mention], *, run_id: str | None
) -> tuple[dict[str, str], dict[str, int]]:
    """Resolve mentions (one per document) and upsert organizations and aliases.

    Returns doc_id -> org_id and counts. Mentions are taken in doc_id order so a
    batch resolves the same way however it was assembled.
    """
    resolver = Resolver(load_known(con))
    known_aliases = {
        r[0]: r[1] for r in con.execute("SELECT alias_id, org_id FROM org_aliases").fetchall()
    }
    doc_org: dict[str, str] = {}
    new_aliases: list[tuple] = []
    for m in sorted(mentions, key=lambda m: (m.doc_id or "", m.name)):
        aid = alias_id(m.name, m.province, m.district)
        if aid in known_aliases and known_aliases[aid] in resolver.orgs:
            oid = known_aliases[aid]  # an alias once resolved keeps its organization
        else:
            oid = resolver.resolve(m, run_id=run_id)
            known_aliases[aid] = oid
            new_aliases.append((aid, m.name, m.province, m.district, oid, m.doc_id))
        if m.doc_id is not None:
            doc_org[m.doc_id] = oid
    # One statement per table: DuckDB spends about a millisecond on each single-row insert,
    # which was most of a first load's time (2 s for 650 organizations and their aliases).
    changed = [resolver.orgs[oid] for oid in sorted(resolver.created | resolver.changed)]
    _insert(
        con,
        "INSERT OR REPLACE INTO organizations",
        ORG_COLUMNS,
        [[getattr(o, c) for c in ORG_COLUMNS] for o in changed],
    )
    _insert(con, "INSERT INTO org_aliases", ALIAS_COLUMNS, new_aliases)
    counts = {"organizations_added": len(resolver.created), "aliases_added": len(new_aliases)}
    return doc_org, counts


def backfill(con) -> None:
    """v1 -> v2: resolve the organizations of reports loaded before organizations existed."""
    rows = con.execute(
        "SELECT r.doc_id, coalesce(r.organization, f.organization), r.province, r.district "
        "FROM reports r LEFT JOIN (SELECT doc_id, min(organization) AS organization FROM facts "
        "GROUP BY doc_id) f USING (doc_id) "
        "UNION ALL "
        "SELECT doc_id, min(organization), NULL, NULL FROM facts "
        "WHERE doc_id NOT IN (SELECT doc_id FROM reports) GROUP BY doc_id"
    ).fetchall()
    mentions = [Mention(name, prov, dist, doc) for doc, name, prov, dist in rows if name]
    doc_org, _ = resolve_into(con, mentions, run_id=None)
    if not doc_org:
        return
    con.execute("CREATE TEMP TABLE _doc_org (doc_id VARCHAR, org_id VARCHAR)")
    con.executemany("INSERT INTO _doc_org VALUES (?, ?)", sorted(doc_org.items()))
    con.execute(
        "UPDATE reports SET org_id = m.org_id FROM _doc_org m WHERE reports.doc_id = m.doc_id"
    )
    con.execute("UPDATE facts SET org_id = m.org_id FROM _doc_org m WHERE facts.doc_id = m.doc_id")
    con.execute("DROP TABLE _doc_org")
