"""Generated report pages for throughput benchmarks: N pages from our own templates.

    .venv/bin/python bench/corpus.py OUT_DIR --pages 2000 [--seed 7] [--text-share 0.1]

Each page is one review article (year-end, quarterly, six-month, mid-term or
congress) of an enterprise-block or industrial-zone Party committee, an
enterprise or an emulation cluster, wrapped in one of three site styles with
their furniture (menus, breadcrumbs, share bars, sidebars of related links,
footers, scripts). Portal pages carry far more furniture than article: mega
menus, stylesheets and scripts in the head, JSON-LD, widgets of latest and most
read news with summaries, banners, polls, related news under the article, visit
counters, a mobile copy of the menu. Its amount is drawn per page so that page
sizes spread like those of real news pages (the 181 pages of the public
boilerplate benchmark: 10th percentile 47 KB, median 113 KB, 90th 289 KB); the
article itself is 3-8 KB of text as before. Sentences come from several phrasings per fact and every
number is drawn at random, so no two pages carry the same text and the cleaner
and extractor do the work they do on real pages. A share of the pages are plain
.txt exports, as some folder sources hold. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import html
import json
import random
from pathlib import Path

PROVINCES = [
    "Nam Định", "Thái Bình", "Hải Dương", "Hưng Yên", "Bắc Ninh", "Vĩnh Phúc", "Hà Nam",
    "Ninh Bình", "Thanh Hóa", "Nghệ An", "Quảng Ninh", "Phú Thọ", "Bình Dương", "Đồng Nai",
]  # fmt: skip
ENTERPRISE_WORDS = [
    "Dệt may", "Cơ khí", "Điện lực", "Cấp nước", "Dược phẩm", "Xây lắp", "Vận tải", "May mặc",
    "Thương mại", "Giống cây trồng", "Chế biến thực phẩm", "Môi trường đô thị", "Xi măng",
]  # fmt: skip
PLACE_NAMES = [
    "Thành Công", "Hồng Hà", "Sông Đà", "Hòa Bình", "Tân Phú", "Minh Khai", "Đông Á",
    "Phúc Thịnh", "An Phát", "Việt Tiến", "Trường Sơn", "Hưng Long", "Bảo Minh", "Quang Trung",
]  # fmt: skip
SITES = [
    ("Báo {p} điện tử", "bao{slug}.vn"),
    ("Cổng thông tin Đảng bộ tỉnh {p}", "dangbo{slug}.org.vn"),
    ("Đảng ủy Khối Doanh nghiệp tỉnh {p}", "dukdn{slug}.vn"),
]
NAV = [
    "Trang chủ", "Thời sự", "Chính trị", "Xây dựng Đảng", "Kinh tế", "Doanh nghiệp", "Xã hội",
    "Văn hóa", "Pháp luật", "Quốc phòng - An ninh", "Thể thao", "Văn bản", "Media", "Tư liệu",
    "Học tập và làm theo Bác", "Bảo vệ nền tảng tư tưởng", "Liên hệ", "Sơ đồ cổng",
]  # fmt: skip
AUTHORS = ["Minh Anh", "Thu Hà", "Văn Hùng", "Ngọc Lan", "Hoàng Long", "Thanh Tâm", "Đức Thịnh"]


OPENERS = [
    "Trong {y}, cấp ủy {s} đã",
    "Thời gian qua, {s} tập trung",
    "Bên cạnh đó, các chi bộ trực thuộc {s} chủ động",
    "Thực hiện chương trình công tác năm {y}, {s}",
    "Với {n} tổ chức đảng trong doanh nghiệp ngoài nhà nước, {s}",
    "Từ đầu nhiệm kỳ, ban chấp hành {s}",
]
CLAUSES = [
    "quán triệt {n} chuyên đề nghị quyết cho cán bộ, đảng viên",
    "rà soát, bổ sung quy hoạch cấp ủy giai đoạn tới",
    "đổi mới nội dung, hình thức sinh hoạt chi bộ",
    "tổ chức {n} lớp bồi dưỡng nhận thức về Đảng cho quần chúng ưu tú",
    "phối hợp với chủ doanh nghiệp thành lập tổ chức đảng ở nơi chưa có",
    "duy trì đối thoại định kỳ giữa người sử dụng lao động và công nhân",
    "đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "nâng tỷ lệ chi bộ sinh hoạt chuyên đề lên {p}%",
    "chú trọng an toàn, vệ sinh lao động và phòng chống cháy nổ",
    "kiểm tra {n} tổ chức đảng về thực hiện quy chế làm việc",
    "giải quyết kịp thời kiến nghị chính đáng của người lao động",
    "mở rộng thị trường, đổi mới công nghệ, nâng cao năng suất",
    "tặng quà, hỗ trợ {n} đoàn viên có hoàn cảnh khó khăn",
    "phát động phong trào thi đua lao động giỏi, lao động sáng tạo",
    "giới thiệu {n} quần chúng ưu tú cho tổ chức đảng xem xét kết nạp",
    "thực hiện tốt quy chế dân chủ ở cơ sở",
]


# Words and phrases with the variants different newsrooms use; each page picks its own, so
# two pages share phrases the way two real reports do rather than whole sentences.
# No metric cue (đảng viên, doanh thu, ngân sách, thu nhập, kết nạp...) is varied.
VARIANTS = [
    ("hội nghị", "buổi làm việc", "phiên họp", "hội nghị trực tuyến"),
    ("triển khai", "thực hiện", "đề ra", "bàn giải pháp cho"),
    ("công tác", "lĩnh vực", "mặt công tác", "nhiệm vụ"),
    ("được quan tâm", "được chú trọng", "có chuyển biến", "đạt kết quả tích cực"),
    ("tổ chức", "mở", "duy trì", "phát động"),
    ("nâng cao", "tăng cường", "cải thiện", "đẩy mạnh"),
    ("cán bộ", "cán bộ chủ chốt", "lãnh đạo", "cán bộ quản lý"),
    ("người lao động", "công nhân", "công nhân lao động", "đoàn viên công đoàn"),
    ("các doanh nghiệp", "các đơn vị", "các công ty", "doanh nghiệp trực thuộc"),
    ("đồng thời", "cùng với đó", "bên cạnh đó", "ngoài ra"),
    ("tiếp tục", "cần tiếp tục", "phải", "tập trung"),
    ("thời gian tới", "năm tới", "giai đoạn tiếp theo", "những tháng còn lại"),
    ("lãnh đạo", "chỉ đạo", "định hướng", "điều hành"),
    ("cấp ủy", "ban thường vụ", "tập thể cấp ủy", "thường trực cấp ủy"),
    ("chi bộ", "tổ chức đảng", "chi bộ cơ sở", "đảng bộ bộ phận"),
    ("ghi nhận", "đánh giá cao", "khen ngợi", "trân trọng"),
    ("kết quả", "thành tích", "chuyển biến", "thành quả"),
    ("theo báo cáo", "báo cáo cho biết", "theo số liệu", "qua tổng hợp"),
]
_VARIANT_RE = None


def _vary(text: str, picks: dict[str, str]) -> str:
    import re

    global _VARIANT_RE
    if _VARIANT_RE is None:
        words = sorted({v[0] for v in VARIANTS}, key=len, reverse=True)
        _VARIANT_RE = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)

    def sub(m):
        key = m.group(0).lower()
        new = picks.get(key, m.group(0))
        return new[:1].upper() + new[1:] if m.group(0)[:1].isupper() else new

    return _VARIANT_RE.sub(sub, text)


def _slug(text: str) -> str:
    import unicodedata

    t = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in t.encode("ascii", "ignore").decode().lower() if c.isalnum())


def _num(n: float, decimals: int = 0) -> str:
    """Vietnamese style: '.' groups thousands, ',' marks decimals."""
    s = f"{n:,.{decimals}f}"
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _pad(n: int) -> str:
    return f"{n:02d}" if n < 10 and random.random() < 0.5 else str(n)


class Page:
    """One article's facts and wording, drawn once and rendered as HTML or text."""

    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        r = rng
        self.index = index
        self.province = r.choice(PROVINCES)
        kind = r.random()
        if kind < 0.4:
            self.org = f"Đảng bộ Khối Doanh nghiệp tỉnh {self.province}"
            self.short = "Đảng bộ Khối"
        elif kind < 0.65:
            self.org = f"Đảng bộ các Khu công nghiệp tỉnh {self.province}"
            self.short = "Đảng bộ"
        elif kind < 0.85:
            name = f"Công ty CP {r.choice(ENTERPRISE_WORDS)} {r.choice(PLACE_NAMES)}"
            self.org = f"Đảng bộ {name}"
            self.short = "Đảng bộ Công ty"
        else:
            self.org = (
                f"Cụm thi đua số {r.randint(1, 9)} Đảng bộ Khối Doanh nghiệp tỉnh {self.province}"
            )
            self.short = "Cụm"
        self.year = r.randint(2019, 2025)
        self.period_kind = r.choice(["year", "year", "q", "h1", "midterm", "congress"])
        self.members = r.randint(120, 9000)
        self.cells = max(3, self.members // r.randint(12, 40))
        self.plan = r.randint(10, 300)
        self.admitted = int(self.plan * r.uniform(0.6, 1.4))
        self.revenue = r.uniform(50, 25000)
        self.budget = self.revenue * r.uniform(0.02, 0.12)
        self.income = r.uniform(5.2, 18.5)
        self.workers = r.randint(800, 60000)
        self.day = r.randint(1, 28)
        self.month = r.randint(1, 12)
        self.author = r.choice(AUTHORS)
        site, host = r.choice(SITES)
        self.site = site.format(p=self.province)
        self.host = host.format(slug=_slug(self.province))
        self.style = r.randint(0, 2)
        self.picks = {v[0]: r.choice(v) for v in VARIANTS}
        if r.random() < 0.5:  # a newsroom varies its own wording from sentence to sentence too
            self.picks = {v[0]: r.choice(v) for v in VARIANTS if r.random() < 0.5}

    # -- wording ---------------------------------------------------------------------
    def period_phrase(self) -> str:
        y = self.year
        return {
            "year": f"năm {y}",
            "q": f"quý {self.rng.choice(['I', 'II', 'III'])} năm {y}",
            "h1": f"6 tháng đầu năm {y}",
            "midterm": f"giữa nhiệm kỳ 2020-2025 (tính đến năm {y})",
            "congress": f"nhiệm kỳ {y - 5}-{y}",
        }[self.period_kind]

    def headline(self) -> str:
        r = self.rng
        what = {
            "year": f"tổng kết công tác năm {self.year}",
            "q": f"giao ban quý, triển khai nhiệm vụ năm {self.year}",
            "h1": f"sơ kết 6 tháng đầu năm {self.year}",
            "midterm": "hội nghị sơ kết giữa nhiệm kỳ",
            "congress": f"Đại hội đại biểu lần thứ {r.choice(['III', 'IV', 'V', 'VI'])}",
        }[self.period_kind]
        tail = r.choice(
            [
                "nâng cao chất lượng tổ chức đảng trong doanh nghiệp",
                "vượt khó, hoàn thành toàn diện các chỉ tiêu",
                "đoàn kết, đổi mới, phát triển bền vững",
                "chăm lo đời sống người lao động",
            ]
        )
        return f"{self.org} {what}: {tail}"

    def lead(self) -> str:
        r = self.rng
        place = r.choice(["hội trường Tỉnh ủy", "trụ sở Đảng ủy", "Nhà văn hóa công nhân"])
        return (
            f"Ngày {_pad(self.day)}/{_pad(self.month)}/{self.year}, tại {place}, {self.org} tổ chức "
            f"hội nghị {r.choice(['tổng kết', 'sơ kết', 'đánh giá kết quả'])} công tác xây dựng "
            f"Đảng và nhiệm vụ chính trị {self.period_phrase()}, triển khai nhiệm vụ thời gian tới."
        )

    def body(self) -> list[str]:
        r = self.rng
        s = self.short
        paras = []
        paras.append(
            r.choice(
                [
                    f"Theo báo cáo tại hội nghị, {self.period_phrase()}, {s} có "
                    f"{_num(self.cells)} tổ chức cơ sở đảng với {_num(self.members)} đảng viên, "
                    f"lãnh đạo {_num(self.workers)} người lao động.",
                    f"Hiện nay, {s} có {_num(self.cells)} chi, đảng bộ cơ sở trực thuộc, tổng số "
                    f"{_num(self.members)} đảng viên; các doanh nghiệp sử dụng "
                    f"{_num(self.workers)} lao động.",
                    f"Toàn {s} hiện có {_num(self.members)} đảng viên sinh hoạt tại "
                    f"{_num(self.cells)} tổ chức cơ sở đảng.",
                ]
            )
        )
        pct = 100.0 * self.admitted / self.plan
        paras.append(
            r.choice(
                [
                    f"Công tác phát triển đảng viên được quan tâm; {self.period_phrase()} kết nạp "
                    f"{_pad(self.admitted)} đảng viên mới, đạt {_num(pct, 1)}% kế hoạch.",
                    f"Các tổ chức cơ sở đảng đã kết nạp {_pad(self.admitted)} đảng viên, bằng "
                    f"{_num(pct, 1)}% chỉ tiêu được giao ({_pad(self.plan)} đảng viên).",
                    f"Kết nạp {_pad(self.admitted)}/{_pad(self.plan)} đảng viên, đạt "
                    f"{_num(pct, 1)}% kế hoạch năm.",
                ]
            )
        )
        paras.append(
            r.choice(
                [
                    f"Hoạt động sản xuất kinh doanh của các doanh nghiệp cơ bản ổn định; tổng "
                    f"doanh thu đạt {_num(self.revenue, 1)} tỷ đồng, nộp ngân sách nhà nước "
                    f"{_num(self.budget, 1)} tỷ đồng; thu nhập bình quân của người lao động "
                    f"{_num(self.income, 2)} triệu đồng/người/tháng.",
                    f"Doanh thu ước đạt {_num(self.revenue, 1)} tỷ đồng, tăng "
                    f"{_num(r.uniform(1, 25), 1)}% so với cùng kỳ; nộp ngân sách "
                    f"{_num(self.budget, 1)} tỷ đồng. Thu nhập bình quân đạt "
                    f"{_num(self.income, 1)} triệu đồng/người/tháng.",
                ]
            )
        )
        paras.append(
            r.choice(
                [
                    "Công tác giáo dục chính trị tư tưởng được chú trọng; cấp ủy các cấp tổ chức "
                    "học tập, quán triệt các nghị quyết, chỉ thị của Đảng cho cán bộ, đảng viên.",
                    "Công tác kiểm tra, giám sát được thực hiện theo chương trình; cấp ủy tiến "
                    f"hành {_pad(r.randint(3, 60))} cuộc kiểm tra đối với tổ chức đảng và "
                    f"{_pad(r.randint(5, 90))} đảng viên.",
                    "Các tổ chức chính trị - xã hội phối hợp chăm lo đời sống, tổ chức các phong "
                    "trào thi đua lao động sản xuất, bảo đảm việc làm ổn định cho người lao động.",
                ]
            )
        )
        paras.append(
            f"Năm {self.year}, có {_num(r.randint(40, 98), 1)}% tổ chức cơ sở đảng được đánh "
            f"giá, xếp loại hoàn thành tốt nhiệm vụ trở lên; {_pad(r.randint(1, 40))} tập thể và "
            f"{_pad(r.randint(1, 80))} cá nhân được khen thưởng."
        )
        paras += [self.mixed(r) for _ in range(4)]
        paras.append(
            f"Công tác dân vận, công tác đoàn thể có chuyển biến; công đoàn cơ sở phối hợp tổ "
            f"chức {_pad(r.randint(2, 30))} chương trình phúc lợi, thăm hỏi, tặng "
            f"{_num(r.randint(50, 3000))} suất quà cho công nhân có hoàn cảnh khó khăn với tổng "
            f"trị giá {_num(r.uniform(0.2, 9), 2)} tỷ đồng."
        )
        paras.append(
            f"Phát biểu chỉ đạo hội nghị, đồng chí {r.choice(AUTHORS)}, "
            f"{r.choice(['Phó Bí thư', 'Bí thư', 'Ủy viên Ban Thường vụ'])} "
            f"{r.choice(['Đảng ủy Khối', 'Tỉnh ủy', 'Đảng ủy'])} ghi nhận, biểu dương những kết "
            "quả đạt được, đồng thời đề nghị tiếp tục đổi mới phương thức lãnh đạo, nâng cao năng "
            "lực lãnh đạo và sức chiến đấu của tổ chức cơ sở đảng."
        )
        paras.append(
            f"Năm {self.year + 1}, {s} phấn đấu kết nạp {_pad(int(self.plan * 1.1))} đảng viên "
            f"mới, doanh thu tăng {_num(r.uniform(3, 15), 1)}% trở lên, thu nhập bình quân đạt "
            f"{_num(self.income * 1.08, 1)} triệu đồng/người/tháng."
        )
        middle = paras[3:-2]
        r.shuffle(middle)
        keep = paras[:3] + [p for p in middle if r.random() < 0.7] + paras[-2:]
        return [_vary(p, self.picks) for p in keep]

    def table(self) -> list[list[str]] | None:
        if self.rng.random() < 0.6:
            return None
        rows = [["TT", "Chỉ tiêu", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)"]]
        items = [
            ("Kết nạp đảng viên mới", self.plan, self.admitted),
            ("Chuyển đảng chính thức", self.plan - 2, self.plan - 1),
            ("Cuộc kiểm tra, giám sát", 12, self.rng.randint(10, 16)),
        ]
        for i, (name, plan, done) in enumerate(items, 1):
            rows.append([str(i), name, _pad(plan), _pad(done), _num(100 * done / plan, 1)])
        return rows

    def mixed(self, r: random.Random) -> str:
        """A paragraph of three clauses drawn from the pools: reports share phrases, not pages."""
        opener = r.choice(OPENERS).format(s=self.short, y=self.year, n=r.randint(2, 60))
        clauses = [c.format(n=r.randint(2, 90), p=_num(r.uniform(60, 100), 1)) for c in
                   r.sample(CLAUSES, 3)]  # fmt: skip
        return f"{opener} {', '.join(clauses)}."

    # -- rendering -------------------------------------------------------------------
    def related(self) -> list[str]:
        r = self.rng
        return [
            f"{r.choice(PLACE_NAMES)}: {r.choice(['Hội nghị', 'Lễ kết nạp', 'Tọa đàm'])} "
            f"{r.choice(['sơ kết', 'tổng kết', 'chuyên đề'])} năm {r.randint(2018, 2025)}"
            for _ in range(r.randint(8, 16))
        ]

    def to_html(self, furniture: Furniture | None = None) -> str:
        e = html.escape
        fur = furniture
        head = self.headline()
        paras = [self.lead()] + self.body()
        table = self.table()
        url = f"https://{self.host}/tin-tuc/{self.index}/{_slug(head)[:60]}"
        date = f"{self.year}-{self.month:02d}-{self.day:02d}"
        nav = "".join(f'<li><a href="https://{self.host}/{_slug(x)}/">{e(x)}</a></li>' for x in NAV)
        related = "".join(
            f'<li><a href="https://{self.host}/tin/{i}">{e(t)}</a></li>'
            for i, t in enumerate(self.related())
        )
        body = "".join(f"<p>{e(p)}</p>\n" for p in paras[1:])
        if table:
            trs = "".join(
                "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in table
            )
            body += f'<table class="table" border="1">{trs}</table>\n'
        lead = f'<p class="sapo"><strong>{e(paras[0])}</strong></p>'
        meta = (
            f'<div class="meta"><span class="date">{self.day:02d}/{self.month:02d}/{self.year}'
            f"</span> | <span>{self.rng.randint(50, 9000)} lượt xem</span> | "
            f'<a href="#">In bài</a> <a href="#">Gửi email</a></div>'
        )
        share = '<div class="share"><a href="#">Facebook</a> <a href="#">Zalo</a></div>'
        article = [
            f'<h1 class="title">{e(head)}</h1>',
            meta,
            share,
            lead,
            f'<div class="content">{body}</div>',
            f'<p class="author"><b>{e(self.author)}</b></p>',
        ]
        if fur is not None:
            article.append(fur.below())
        scripts = (
            "<script>window.dataLayer=window.dataLayer||[];dataLayer.push({'id':"
            f"'{self.index}'}});</script>" + '<script async src="https://example.invalid/a.js">'
            "</script>"
        )
        footer = (
            f'<footer class="footer"><p>{e(self.site)}</p><p>Giấy phép số '
            f"{self.rng.randint(10, 500)}/GP-BTTTT. Địa chỉ: số {self.rng.randint(1, 200)} đường "
            f"{e(self.rng.choice(PLACE_NAMES))}, tỉnh {e(self.province)}.</p>"
            "<p>Ghi rõ nguồn khi phát hành lại thông tin từ website này.</p></footer>"
        )
        if self.style == 0:
            main = (
                f'<div class="breadcrumb"><a href="#">Xây dựng Đảng</a> › <a href="#">Tin tức</a>'
                f'</div><article class="detail">{"".join(article)}</article>'
                f'<aside class="sidebar"><h3>Tin cùng chuyên mục</h3><ul>{related}</ul>'
                f"{fur.widgets() if fur else ''}</aside>"
            )
        elif self.style == 1:
            main = (
                f'<table width="100%"><tr><td class="left"><ul>{nav}</ul></td>'
                f'<td class="center"><div id="news-detail">{"".join(article)}</div>'
                f'<div class="other-news"><b>Các tin khác</b><ul>{related}</ul></div></td>'
                f'<td class="right">{fur.widgets() if fur else ""}</td></tr></table>'
            )
        else:
            main = (
                f'<div class="container"><div class="row"><div class="col-md-8">'
                f'<div class="post">{"".join(article)}</div><div class="tags">Từ khóa: '
                f'<a href="#">xây dựng Đảng</a>, <a href="#">tổng kết</a></div></div>'
                f'<div class="col-md-4"><div class="widget"><h4>Đọc nhiều</h4><ul>{related}</ul>'
                f"</div>{fur.widgets() if fur else ''}</div></div></div>"
            )
        return (
            '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
            f"<title>{e(head)} | {e(self.site)}</title>"
            f'<meta property="og:title" content="{e(head)}">'
            f'<meta property="og:site_name" content="{e(self.site)}">'
            f'<meta property="article:published_time" content="{date}T08:00:00+07:00">'
            f'<link rel="canonical" href="{url}"><style>body{{font-family:Arial}}</style>'
            f"{fur.head(head, paras[0]) if fur else ''}"
            f'</head><body><header><a class="logo" href="/">{e(self.site)}</a>'
            f"{fur.menu() if fur else f'<nav class=menu><ul>{nav}</ul></nav>'}</header>\n"
            f"<main>{main}</main>\n{footer}{fur.footer() if fur else ''}{scripts}</body></html>\n"
        )

    def to_text(self) -> str:
        paras = [self.headline(), self.lead()] + self.body()
        table = self.table()
        if table:
            paras += [" | ".join(row) for row in table]
        paras += ["Chia sẻ: Facebook | Zalo | In bài", f"Nguồn: {self.site}"]
        return "\n\n".join(paras) + "\n"


CSS_PROPS = ["margin", "padding", "color", "font-size", "line-height", "border", "display",
             "background", "width", "height", "float", "text-align"]  # fmt: skip
SECTIONS = ["Tin mới", "Đọc nhiều", "Tin cùng chuyên mục", "Tiêu điểm", "Văn bản mới",
            "Lịch công tác", "Chuyên đề", "Video", "Ảnh"]  # fmt: skip


class Furniture:
    """A portal's page around the article, drawn from its own generator (article text stays
    the same for a given seed whatever the furniture)."""

    def __init__(self, page: Page, seed: int) -> None:
        self.p = page
        self.r = random.Random(seed * 1_000_003 + page.index)
        # weight 1 gives about 55 KB; the lognormal spread matches the real pages
        self.w = min(8.0, max(0.4, self.r.lognormvariate(0.72, 0.75)))

    def _n(self, base: int) -> int:
        return max(1, int(base * self.w * self.r.uniform(0.7, 1.3)))

    def _headline(self) -> str:
        r, p = self.r, self.p
        return (
            f"{r.choice(PLACE_NAMES)}: {r.choice(['Hội nghị', 'Lễ kết nạp', 'Tọa đàm', 'Hội thảo'])}"
            f" {r.choice(['sơ kết', 'tổng kết', 'chuyên đề', 'triển khai nhiệm vụ'])} "
            f"{r.choice(['công tác', 'phong trào thi đua', 'nghị quyết'])} năm "
            f"{r.randint(2018, 2025)} tại {r.choice(PROVINCES if r.random() < 0.3 else [p.province])}"
        )

    def _summary(self) -> str:
        r = self.r
        return (
            f"{r.choice(['Sáng', 'Chiều'])} {r.randint(1, 28)}/{r.randint(1, 12)}, "
            f"{r.choice(['đoàn công tác', 'lãnh đạo tỉnh', 'ban tổ chức'])} đã "
            f"{r.choice(['làm việc', 'khảo sát', 'gặp mặt', 'trao đổi'])} với "
            f"{r.choice(ENTERPRISE_WORDS).lower()} {r.choice(PLACE_NAMES)} về "
            f"{r.choice(CLAUSES).format(n=r.randint(2, 90), p=r.randint(60, 99))}."
        )

    def head(self, title: str, lead: str) -> str:
        r, e, host = self.r, html.escape, self.p.host
        css = "".join(
            f".c{i}-{r.randint(0, 999)} .{r.choice(['item', 'box', 'title', 'nav', 'thumb'])}"
            f"{{{r.choice(CSS_PROPS)}:{r.randint(0, 40)}px;{r.choice(CSS_PROPS)}:"
            f"#{r.randint(0, 0xFFFFFF):06x}}}\n"
            for i in range(self._n(220))
        )
        links = "".join(
            f'<link rel="stylesheet" href="https://{host}/static/css/{i}.{r.randint(1, 99)}.css">'
            for i in range(self._n(6))
        )
        ld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": title,
                "publisher": {"@type": "Organization", "name": self.p.site},
            },
            ensure_ascii=False,
        )
        js = "".join(
            f"var cfg{i}={{zone:{r.randint(1, 9999)},slot:'s{r.randint(1, 99)}',"
            f"sizes:[[{r.choice([300, 728, 970])},{r.choice([90, 250, 600])}]]}};"
            f"googletag.cmd.push(function(){{googletag.defineSlot('/{r.randint(1, 9**8)}/a{i}',"
            f"cfg{i}.sizes,'div-gpt-{i}').addService(googletag.pubads());}});\n"
            for i in range(self._n(60))
        )
        return (
            f'<meta name="description" content="{e(lead[:160])}">'
            f'<meta name="keywords" content="xây dựng Đảng, {e(self.p.province)}, doanh nghiệp">'
            f'<meta property="og:image" content="https://{host}/images/{self.p.index}.jpg">'
            f"{links}<style>{css}</style>"
            f'<script type="application/ld+json">{ld}</script><script>{js}</script>'
        )

    def menu(self) -> str:
        r, e, host = self.r, html.escape, self.p.host
        items = []
        for top in NAV:
            subs = "".join(
                f'<li><a href="https://{host}/{_slug(top)}/{_slug(x)}-{k}/">{e(x)}</a></li>'
                for k, x in enumerate(r.sample(NAV, r.randint(3, 8)))
            )
            items.append(
                f'<li class="dropdown"><a href="#">{e(top)}</a><ul class="sub">{subs}</ul></li>'
            )
        mega = "".join(items)
        top_bar = (
            f'<div class="topbar"><span>Hôm nay: {r.randint(1, 28)}/{r.randint(1, 12)}/2025</span>'
            f"<span>Đường dây nóng: 0{r.randint(200, 299)} {r.randint(100, 999)} {r.randint(1000, 9999)}"
            '</span><form class="search"><input name="q" placeholder="Tìm kiếm"></form></div>'
        )
        return top_bar + f'<nav class="mega"><ul>{mega}</ul></nav>'

    def widgets(self) -> str:
        r, e, host = self.r, html.escape, self.p.host
        out = []
        for name in r.sample(SECTIONS, min(len(SECTIONS), self._n(4))):
            items = "".join(
                f'<li><a href="https://{host}/tin/{r.randint(10**5, 10**6)}.html">'
                f'<img src="https://{host}/thumb/{r.randint(1, 10**6)}.jpg" alt="">'
                f"<span>{e(self._headline())}</span></a>"
                f'<p class="sum">{e(self._summary())}</p><time>{r.randint(1, 28)}/'
                f"{r.randint(1, 12)}/{r.randint(2019, 2025)}</time></li>"
                for _ in range(self._n(9))
            )
            out.append(f'<div class="widget"><h3>{e(name)}</h3><ul>{items}</ul></div>')
        banners = "".join(
            f'<a href="https://{host}/lien-ket/{i}"><img src="https://{host}/banner/{i}.png" '
            f'alt="Banner {i}"></a>'
            for i in range(self._n(8))
        )
        poll = (
            '<div class="poll"><b>Thăm dò ý kiến</b><p>Bạn đánh giá thế nào về giao diện mới?</p>'
            + "".join(
                f'<label><input type="radio" name="v"> {x}</label>'
                for x in ["Rất tốt", "Tốt", "Bình thường"]
            )  # fmt: skip
            + "</div>"
        )
        return "".join(out) + f'<div class="banners">{banners}</div>{poll}'

    def below(self) -> str:
        r, e, host = self.r, html.escape, self.p.host
        items = "".join(
            f'<li><a href="https://{host}/tin/{r.randint(10**5, 10**6)}.html">'
            f"{e(self._headline())}</a><p>{e(self._summary())}</p></li>"
            for _ in range(self._n(8))
        )
        return (
            f'<div class="related"><h3>Tin liên quan</h3><ul>{items}</ul></div>'
            '<div class="comment"><h3>Ý kiến bạn đọc</h3><form><textarea></textarea>'
            '<input placeholder="Họ tên"><input placeholder="Email"><button>Gửi</button></form></div>'
        )

    def footer(self) -> str:
        r, e, host = self.r, html.escape, self.p.host
        cols = "".join(
            '<div class="col">' + "".join(
                f'<a href="https://{host}/{_slug(x)}/">{e(x)}</a>' for x in r.sample(NAV, 6)
            ) + "</div>"
            for _ in range(self._n(4))
        )  # fmt: skip
        return (
            f'<div class="footer-links">{cols}</div><div class="stats">Đang truy cập: '
            f"{r.randint(20, 900)} | Hôm nay: {r.randint(1000, 9000):,} | Tổng lượt truy cập: "
            f"{r.randint(10**6, 10**8):,}</div>".replace(",", ".")
            + '<nav class="mobile-menu" hidden><ul>'
            + "".join(f'<li><a href="https://{host}/{_slug(x)}/">{e(x)}</a></li>' for x in NAV)
            + "</ul></nav>"
        )


# Bumped whenever the pages a seed gives change, so cached corpora are rebuilt.
GENERATOR_VERSION = 2


def generate(out: Path, pages: int, *, seed: int = 7, text_share: float = 0.1) -> list[Path]:
    """Write `pages` files under `out` (sharded in folders of 1,000); returns their paths."""
    out = Path(out)
    rng = random.Random(seed)
    random.seed(seed)  # `_pad` draws from the module generator
    written = []
    for i in range(pages):
        page = Page(rng, i)
        shard = out / f"{i // 1000:04d}"
        shard.mkdir(parents=True, exist_ok=True)
        if rng.random() < text_share:
            path = shard / f"gen_{i:06d}.txt"
            path.write_text(page.to_text(), encoding="utf-8")
        else:
            path = shard / f"gen_{i:06d}.html"
            path.write_text(page.to_html(Furniture(page, seed)), encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--text-share", type=float, default=0.1)
    a = ap.parse_args()
    paths = generate(a.out, a.pages, seed=a.seed, text_share=a.text_share)
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} pages, {size / 1e6:.1f} MB under {a.out}")


if __name__ == "__main__":
    main()
