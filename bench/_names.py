"""Realistic Chinese names for benchmarks: companies (`company_names`) and people (`person_names`).

Not a benchmark itself (`make bench` runs the files not starting with `_`). Deterministic for a seed, so two runs
(or two engines) get the same names. The shapes follow what Chengdu's registers hold:

- companies: an optional place (成都 / 成都市 / 四川 / 四川省 / 成都市 + a district), a brand of 2–4 characters
  drawn with a skew (some brand characters are everywhere: 安, 家, 佳, 华 …), a trade (家政服务, 物业管理,
  物业服务, 保洁服务, 家庭服务, 养老服务 …) and a legal form (有限公司, 有限责任公司, 股份有限公司); a few are
  branches (…有限公司武侯分公司) and a few carry Latin letters or full-width brackets, as real ones do;
- people: a surname by frequency (王, 李, 张 … and a few compound ones, 欧阳, 司马 …) and a given name of one or
  two characters; about one in two hundred is a name with an interpunct (阿依古丽·买买提).
"""
from __future__ import annotations

import random

PLACES = ("成都", "成都市", "四川", "四川省", "四川成都", "")
DISTRICTS = ("锦江区", "青羊区", "金牛区", "武侯区", "成华区", "龙泉驿区", "青白江区", "新都区", "温江区", "双流区",
             "郫都区", "新津区", "高新区", "天府新区", "简阳市", "都江堰市", "彭州市", "邛崃市", "崇州市", "金堂县",
             "大邑县", "蒲江县")
BRAND_CHARS = ("安心家佳华美康福瑞鑫惠民诚信邦达欣悦宜居和顺金银宝丰泰兴盛源众合天地人阳光明月星云雨春秋蓝"
               "绿青红君豪恒远嘉禾润泽雅馨爱护宁静清洁净贝亲乐享优品锦程德善仁义礼智博雅汇聚通利万千百益"
               "旺荣昌隆祥瑞吉如意满堂彩蓉城川蜀巴府家政帮手大姐阿姨月嫂保姆管家小帮快捷便利一号")
TRADES = ("家政服务", "家政服务", "家政服务", "家政", "家庭服务", "物业管理", "物业管理", "物业服务", "保洁服务",
          "养老服务", "母婴护理服务", "月嫂服务", "清洁服务", "人力资源服务", "社区服务", "居家养老服务")
FORMS = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")
LATIN = ("ABC", "CFC", "JX", "V家", "e家", "ONE", "Home")

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
            "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严")
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容", "皇甫", "令狐")
GIVEN_CHARS = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫斌宇浩凯建国建华"
               "志强永刚晓东丹蓉雪梅海燕春兰淑珍婷婷文秀云飞子涵雨欣思远梓轩诗琪一鸣嘉怡俊杰佳琪欣怡浩然")
MINORITY = ("阿依古丽·买买提", "热依拉·艾力", "古丽娜尔·吐尔逊", "努尔·阿不都", "扎西·次仁", "阿卜杜拉·艾山")


_WEIGHTS: dict[str, list[float]] = {}


def _skewed(rng: random.Random, pool: str) -> str:
    """One character of `pool`, the first ones more often (weight 1 / (rank + 8), a flattened Zipf)."""
    cum = _WEIGHTS.get(pool)
    if cum is None:
        total, cum = 0.0, []
        for rank in range(len(pool)):
            total += 1 / (rank + 8)
            cum.append(total)
        _WEIGHTS[pool] = cum
    return rng.choices(pool, cum_weights=cum)[0]


def company_name(rng: random.Random) -> str:
    """One company name."""
    place = rng.choice(PLACES)
    if place.startswith("成都市") and rng.random() < 0.5:
        place += rng.choice(DISTRICTS)
    brand = "".join(_skewed(rng, BRAND_CHARS) for _ in range(rng.choice((2, 2, 2, 3, 3, 4))))
    if rng.random() < 0.02:
        brand = rng.choice(LATIN) + brand[:2]
    name = place + brand + rng.choice(TRADES) + rng.choice(FORMS)
    roll = rng.random()
    if roll < 0.04:
        name += rng.choice(DISTRICTS).removesuffix("区").removesuffix("县").removesuffix("市") + "分公司"
    elif roll < 0.05:
        name = f"{brand}（成都）{rng.choice(TRADES)}{rng.choice(FORMS)}"
    return name


def company_names(n: int, seed: int = 1) -> list[str]:
    """`n` company names; names repeat only as rarely as in a real register (a repeat gets a branch suffix)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        name = company_name(rng)
        if name in seen:
            name = name.removesuffix("公司") + rng.choice(DISTRICTS) + "分公司"
            if name in seen:
                continue
        seen.add(name)
        out.append(name)
    return out


def person_name(rng: random.Random) -> str:
    """One person's name as on their ID card."""
    if rng.random() < 0.005:
        return rng.choice(MINORITY)
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.01 else _skewed(rng, SURNAMES)
    given = "".join(_skewed(rng, GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2))
    return surname + given


def person_names(n: int, seed: int = 1) -> list[str]:
    """`n` people's names (repeats happen, as with real names: 张伟 is many people)."""
    rng = random.Random(seed)
    return [person_name(rng) for _ in range(n)]
