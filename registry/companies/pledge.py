"""The versioned text of the online credit pledge (信用承诺)."""
import hashlib

PLEDGES = {
    1: {
        "zh": (
            "本企业郑重承诺：依法诚信经营；如实登记企业及从业人员信息并及时更新；"
            "落实从业人员身份核验、培训、体检和保险要求；不雇用或派遣未经核验的人员上门服务；"
            "接受主管部门和社会监督；如违反本承诺，自愿接受相应的失信惩戒并依法承担责任。"
        ),
        "en": (
            "We solemnly pledge to operate lawfully and honestly; to register our company and our staff truthfully "
            "and keep the records current; to verify identity and provide training, health checks and insurance for "
            "our staff; never to send unverified people into homes; to accept supervision by the regulators and the "
            "public; and, should we break this pledge, to accept the resulting credit measures and legal liability."
        ),
    },
}
CURRENT_VERSION = max(PLEDGES)


def text_digest(version: int) -> str:
    p = PLEDGES[version]
    return hashlib.sha256((p["zh"] + "\n" + p["en"]).encode("utf-8")).hexdigest()
