"""The one masking rule for names (docs/privacy.md, "Masking"), and phone masking (registry.masking)."""
from __future__ import annotations

import pytest

from registry.masking import COMPOUND_SURNAMES, mask_name, mask_phone


@pytest.mark.parametrize(
    "name,masked",
    [
        ("张三", "张*"),
        ("张小三", "张**"),
        ("李", "李"),  # a lone surname: the rule leaves no remaining character to star
        ("欧阳娜娜", "欧阳**"),
        ("欧阳修", "欧阳*"),
        ("司马光", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("上官婉儿", "上官**"),
        ("慕容复", "慕容*"),
        # A two-character name cannot be all surname: the given name would be empty.
        ("欧阳", "欧*"),
        ("司马", "司*"),
        ("诸葛", "诸*"),
        # A name with a middle dot: its first character and one star, whatever the length.
        ("阿依·古丽", "阿*"),
        ("买买提·艾力", "买*"),
        ("爱新觉罗·溥仪", "爱*"),
        ("阿依•古丽", "阿*"),  # bullet, as some input methods type the dot
        # Spaces around the name are not part of it.
        (" 张三 ", "张*"),
        ("\t欧阳娜娜\n", "欧阳**"),
        ("\u3000张小三\u3000", "张**"),  # ideographic spaces
        (" 阿依·古丽 ", "阿*"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("surname", sorted(COMPOUND_SURNAMES))
def test_every_compound_surname_is_kept_whole(surname):
    assert len(surname) == 2
    assert mask_name(surname + "明") == surname + "*"
    assert mask_name(surname + "小明") == surname + "**"
    assert mask_name(surname) == surname[0] + "*"


# (name, surname) pairs whose given names share no character with the surname.
NAMES = [
    ("张三", "张"),
    ("王秀英", "王"),
    ("李娜", "李"),
    ("刘德华", "刘"),
    ("陈子涵", "陈"),
    ("杨洋", "杨"),
    ("黄晓明", "黄"),
    ("赵丽颖", "赵"),
    ("周杰伦", "周"),
    ("吴铭轩", "吴"),  # 吴 + 铭轩, not a compound 吴铭
    ("吴铭辉", "吴"),
    ("徐静蕾", "徐"),
    ("欧阳娜娜", "欧阳"),
    ("司马光", "司马"),
    ("诸葛亮", "诸葛"),
    ("上官婉儿", "上官"),
    ("令狐冲", "令狐"),
    ("东方不败", "东方"),
]


@pytest.mark.parametrize("name,surname", NAMES)
def test_masked_name_shows_no_given_name_character(name, surname):
    masked = mask_name(name)
    given = name[len(surname):]
    assert masked == surname + "*" * len(given)
    assert not set(given) & set(masked)


# About the hundred commonest single surnames.
COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏"
    "苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
)
COMMON_GIVEN = ["铭轩", "铭", "伟", "秀英", "子涵", "浩然", "思琪", "志强", "雨萱", "俊杰"]


def test_common_surnames_with_common_given_names_leak_nothing():
    # Greedy matching would keep a given name's first character whenever a common
    # surname and that character happen to form a listed compound surname.
    leaks = []
    for surname in COMMON_SURNAMES:
        for given in COMMON_GIVEN:
            masked = mask_name(surname + given)
            if masked != surname + "*" * len(given):
                leaks.append((surname + given, masked))
    assert leaks == []


@pytest.mark.parametrize("name", ["阿依·古丽", "买买提·艾力", "爱新觉罗·溥仪", "阿依•古丽", "迪丽热巴·迪力木拉提"])
def test_dotted_names_show_only_their_first_character(name):
    masked = mask_name(name)
    assert masked == name[0] + "*"
    assert len(masked) == 2


@pytest.mark.parametrize("dot", ["\u30fb", "\u2027", "\uff65", "."])
def test_other_dots_still_hide_everything_but_the_first_character(dot):
    # Only · and • count as the name dot; a look-alike is masked as an ordinary
    # name, which still shows nothing after the first character.
    masked = mask_name("阿依" + dot + "古丽")
    assert masked[0] == "阿"
    assert set(masked[1:]) == {"*"}


def test_masking_is_idempotent_on_its_own_output():
    for name, _surname in NAMES:
        once = mask_name(name)
        assert mask_name(once) == once


# --- phones ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone,masked",
    [
        ("13800138000", "138****8000"),
        ("19912345678", "199****5678"),
        ("+8613800138000", "+86*******8000"),
        ("12345678", "123*5678"),  # the shortest number that keeps anything
        ("1234567", "*******"),
        ("110", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_phone_hides_the_middle_digits():
    for phone in ["13800138000", "15912345678", "18687654321"]:
        masked = mask_phone(phone)
        assert len(masked) == len(phone)
        assert masked[3:7] == "****"
        assert phone[3:7] not in masked
