"""Phone and ID numbers masked inside free text: what must be masked, how it reads after, what must stay."""
from __future__ import annotations

import pytest

from registry.trace.textmask import mask_text

MASKED = [
    # mainland mobiles, every common spacing and prefix
    ("13912340001", "139****0001"),
    ("139 1234 0001", "139 **** 0001"),
    ("139-1234-0001", "139-****-0001"),
    ("1391 234 0001", "139* *** 0001"),
    ("1 3 9 1 2 3 4 0 0 0 1", "1 3 9 * * * * 0 0 0 1"),
    ("+8613912340001", "+86139****0001"),
    ("+86 139 1234 0001", "+86 139 **** 0001"),
    ("+86-13912340001", "+86-139****0001"),
    ("(+86)13912340001", "(+86)139****0001"),
    ("008613912340001", "0086139****0001"),
    ("8613912340001", "86139****0001"),
    ("013912340001", "0139****0001"),
    ("19912340001", "199****0001"),
    # full-width digits, signs and spaces, alone and mixed with ASCII
    ("１３９１２３４０００１", "１３９****０００１"),
    ("１３９　１２３４　０００１", "１３９　****　０００１"),
    ("＋８６　１３９１２３４０００１", "＋８６　１３９****０００１"),
    ("139１２３４0001", "139****0001"),
    ("139－1234－0001", "139－****－0001"),
    # inside Chinese text
    ("阿姨电话13912340001谢谢", "阿姨电话139****0001谢谢"),
    ("联系：13912340001，或者13800138000。", "联系：139****0001，或者138****8000。"),
    ("电话１３９１２３４０００１有事找她", "电话１３９****０００１有事找她"),
    ("DD13912340001", "DD139****0001"),
    # landlines with area codes
    ("028-85123456", "028-****3456"),
    ("028 8512 3456", "028 **** 3456"),
    ("02885123456", "028****3456"),
    ("(028)85123456", "(028)****3456"),
    ("（028）85123456", "（028）****3456"),
    ("（０２８）８５１２３４５６", "（０２８）****３４５６"),
    ("010-62345678", "010-****5678"),
    ("0816-2345678", "0816-***5678"),
    ("0816 234 5678", "0816 *** 5678"),
    ("+86 28 8512 3456", "+86 28 **** 3456"),
    ("+86-28-85123456", "+86-28-****3456"),
    ("公司座机028-85123456转人工", "公司座机028-****3456转人工"),
    # resident ID numbers: 18 characters (X in any case and width), grouped, and the old 15 digits
    ("510101199003071234", "5101**********1234"),
    ("51010119900307123X", "5101**********123X"),
    ("51010119900307123x", "5101**********123x"),
    ("51010119900307123Ｘ", "5101**********123Ｘ"),
    ("５１０１０１１９９００３０７１２３４", "５１０１**********１２３４"),
    ("510101 19900307 1234", "5101** ******** 1234"),
    ("510101 1990 0307 1234", "5101** **** **** 1234"),
    ("我的身份证510101199003071234号", "我的身份证5101**********1234号"),
    ("ID510101199003071234", "ID5101**********1234"),
    ("110101200012311234", "1101**********1234"),
    ("510101900307123", "5101********123"),
    ("旧证号510101900307123。", "旧证号5101********123。"),
    # Hong Kong and Macau residents' permits, Hong Kong identity cards
    ("H12345678", "H******78"),
    ("回乡证M1234567801", "回乡证M********01"),
    ("A123456(7)", "A******(*)"),
    ("AB123456（A）", "AB******（A）"),
    # several in one text, each masked
    ("身份证110101199003071234，手机13912340001，座机028-85123456",
     "身份证1101**********1234，手机139****0001，座机028-****3456"),
]

UNTOUCHED = [
    "",
    "服务很好，阿姨很细心。",
    # prices
    "价格1399元", "￥12800.00", "¥1,299.00", "一共花了 350 元", "每小时 45.5 元",
    # dates and times
    "2024年1月15日", "2024-01-15", "2024/01/15", "20240115", "13:45", "14:00-18:00", "8:30 到 11:30",
    "服务时间2024-01-15 13:30至15:30", "2024-01-15 13:30:00",
    # order numbers and other runs that are not phone- or ID-shaped
    "订单号DD202401150001", "订单 202401150001", "13800138000123", "139123400011234", "202401150001234",
    "100234567890", "1234567890", "12912340001", "1391234000", "20240115123456789012",
    # a company's public service line is not a person's phone
    "400-123-4567", "4001234567", "95588",
    # digits that only look close
    "第 3 次，15 元，共 2 小时", "房间 1302 号", "12345678", "510101190013071234",
    # an 18-digit run whose birth date is no date
    "510101199013071234", "510101199002321234",
    # not a permit: a letter before the digits, a model number with more letters
    "XH12345678", "型号 HM12345678A",
]


@pytest.mark.parametrize(("text", "masked"), MASKED, ids=[t for t, _ in MASKED])
def test_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", UNTOUCHED)
def test_untouched(text):
    assert mask_text(text) == text


@pytest.mark.parametrize(("text", "masked"), MASKED, ids=[t for t, _ in MASKED])
def test_masking_keeps_the_length_and_is_idempotent(text, masked):
    assert len(mask_text(text)) == len(text)
    assert mask_text(masked) == masked


def test_none_and_empty_pass_through():
    assert mask_text(None) is None
    assert mask_text("") == ""


def test_a_text_that_already_has_stars_keeps_them():
    assert mask_text("五星*****好评，电话13912340001") == "五星*****好评，电话139****0001"


def test_no_phone_digits_survive_in_a_long_review():
    text = ("阿姨（电话 139 1234 0001）周一到周五每天 8:30 来，服务很专业。" * 5)[:500]
    out = mask_text(text)
    assert "1234" not in out.replace("8:30", "")
    assert len(out) == len(text)
