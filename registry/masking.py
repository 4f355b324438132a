"""One masking rule for names everywhere (docs/privacy.md, "Masking"), and phone masking."""
from __future__ import annotations

# Two-character surnames, kept whole when masking (欧阳*, not 欧**). 吴铭 is left
# out although copied lists carry it: it is no attested surname, while 吴 plus a
# given name starting with 铭 is common, and keeping it would show that 铭.
COMPOUND_SURNAMES = frozenset("""
欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 公冶
太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 壤驷 公良
漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 公户 公玉 公仪 梁丘 公仲
公上 公门 公山 公坚 左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 子书 子桑 即墨 达奚
褚师
""".split())


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳**, a name with · → first character and *."""
    name = (name or "").strip()
    if not name:
        return ""
    # The interpunct and the look-alikes keyboards produce for it.
    if any(dot in name for dot in "·•・‧･"):
        return name[0] + "*"
    surname = name[:2] if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else name[:1]
    return surname + "*" * (len(name) - len(surname))


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits (for private views only)."""
    digits = phone or ""
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
