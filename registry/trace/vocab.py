"""The vocabularies of traceability: service types and review tags.

Extensible: a new code is added here with its words, and nothing else changes
(the database stores the code; pages and the API read the words from here). A
code never changes meaning or disappears once stored, since records name it.
No Flask, no database.
"""
from __future__ import annotations

SERVICE_TYPES: dict[str, tuple[str, str]] = {
    "cleaning": ("日常保洁", "Home cleaning"),
    "deep_cleaning": ("深度保洁", "Deep cleaning"),
    "cooking": ("家庭烹饪", "Home cooking"),
    "maternity": ("母婴护理（月嫂）", "Maternity and newborn care"),
    "infant_care": ("育婴", "Infant care"),
    "child_care": ("儿童看护", "Child care"),
    "elder_care": ("居家养老护理", "Elder care at home"),
    "patient_care": ("病患陪护", "Patient care"),
    "appliance_cleaning": ("家电清洗", "Appliance cleaning"),
    "repair": ("家居维修", "Home repair"),
    "property_service": ("物业入户服务", "Property-management visit"),
    "other": ("其他", "Other"),
}

REVIEW_TAGS: dict[str, tuple[str, str]] = {
    "punctual": ("准时", "Punctual"),
    "professional": ("专业", "Professional"),
    "careful": ("细心", "Careful"),
    "polite": ("有礼貌", "Polite"),
    "tidy": ("干净整洁", "Clean and tidy"),
    "communicative": ("沟通顺畅", "Easy to talk to"),
    "trustworthy": ("值得信赖", "Trustworthy"),
    "late": ("迟到", "Late"),
    "careless": ("粗心", "Careless"),
    "rude": ("态度差", "Rude"),
    "incomplete": ("未完成约定服务", "Did not finish the agreed work"),
    "overcharged": ("额外收费", "Asked for extra money"),
}


def words(vocabulary: dict[str, tuple[str, str]], code: str) -> dict[str, str]:
    """{"zh", "en"} for a code; an unknown code (stored before it was retired from a page) shows as itself."""
    zh, en = vocabulary.get(code, (code, code))
    return {"zh": zh, "en": en}

# Why a regulator queries a household's services (the phone typed, the reference derived): chosen from this list
# and kept, with who and when, in the private query record (`household_queries`).
QUERY_PURPOSES: dict[str, tuple[str, str]] = {
    "complaint": ("处理投诉", "Complaint handling"),
    "incident": ("事件调查", "Incident investigation"),
    "safety_check": ("安全检查", "Safety check"),
    "court_police": ("法院或公安机关调取", "Court or police request"),
}
