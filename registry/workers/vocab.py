"""The fixed, extensible vocabularies of the workers domain (codes in English, labels bilingual)."""

# Occupations: add a code here (and its labels) to extend the list.
OCCUPATIONS: dict[str, tuple[str, str]] = {
    "cleaner": ("保洁", "Cleaner"),
    "childcare": ("育婴员", "Childcare worker"),
    "maternity": ("母婴护理员/月嫂", "Maternity nurse"),
    "elderly_care": ("养老护理员", "Elderly carer"),
    "appliance_repair": ("家电维修", "Appliance repair"),
    "property_manager": ("物业项目负责人", "Property project manager"),
    "security": ("保安", "Security guard"),
    "property_maintenance": ("物业维修", "Property maintenance"),
    "other": ("其他", "Other"),
}

EMPLOYMENT_KINDS: dict[str, tuple[str, str]] = {
    "labour_contract": ("劳动合同", "Labour contract"),
    "service_agreement": ("服务协议", "Service agreement"),
    "intermediary_placement": ("中介介绍", "Intermediary placement"),
}

# Dated records a company keeps on a worker; a correction supersedes, never overwrites.
RECORD_KINDS: dict[str, tuple[str, str]] = {
    "identity": ("身份核验", "Identity check"),
    "training": ("培训", "Training"),
    "health": ("体检", "Health check"),
    "insurance": ("保险", "Insurance"),
    "background": ("背景审查", "Background check"),
}

RESULTS = {
    "identity": ("verified", "failed"),
    "health": ("passed", "failed"),
    "background": ("passed", "failed", "pending"),
}

# Why a regulator opens a worker's personal data: chosen from this list before the record opens, and shown to the
# worker in their access record (with the regulator's optional note).
REGULATOR_PURPOSES: dict[str, tuple[str, str]] = {
    "complaint": ("处理投诉举报", "Handling a complaint or report"),
    "inspection": ("监督检查", "Inspection"),
    "sanction_case": ("办理处罚案件", "A sanction case"),
    "verification": ("核实身份与资质", "Verifying identity and qualifications"),
}
