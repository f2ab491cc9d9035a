"""The message catalog of SPEC 2.2.

Clients and tests compare these strings literally, so they live in one place and are
copied byte-for-byte from the SPEC (accents, capitals and trailing dots included).
"""

CPF_INVALID = "CPF Inválido"
PIS_INVALID = "PIS Inválido"
EMAIL_INVALID = "E-mail inválido"
CNPJ_CPF_INVALID = "CNPJ/CPF inválido"

CPF_TAKEN = "CPF já cadastrado."
PIS_TAKEN = "PIS já cadastrado."
EMAIL_TAKEN = "E-mail já cadastrado."
MATRICULA_TAKEN = "Matrícula já cadastrada."

ADMISSION_DATE_INVALID = "Data de admissão inválida"
DISMISSAL_DATE_INVALID = "Data de demissão inválida"
DISMISSAL_BEFORE_ADMISSION = "Data de demissão anterior à data de admissão"

PREVIOUS_MATRICULA_NOT_FOUND = "Matrícula anterior não encontrada"
SCHEDULE_NOT_FOUND = "Escala não encontrada"
COST_CENTER_NOT_FOUND = "Centro de custo não encontrado"
SUBSIDIARY_NOT_FOUND = "Filial não encontrada"

EMPLOYEE_NOT_FOUND = "Funcionário não encontrado"
ABSENCE_REASON_NOT_FOUND = "Motivo de afastamento não encontrado"
OPERATION_INVALID = "Operação inválida"
START_DATE_INVALID = "Data inicial inválida"
END_DATE_INVALID = "Data final inválida"
END_BEFORE_START = "Data final anterior à data inicial"
INTERNAL_CODE_TAKEN = "Código interno já cadastrado"
ABSENCE_NOT_FOUND = "Afastamento não encontrado"
PERIOD_LOCKED = "Período bloqueado"
ABSENCE_OVERLAP = "Afastamento sobreposto a outro afastamento"

PROFILE_NOT_FOUND = "Perfil não encontrado"
USER_NOT_FOUND = "Usuário não encontrado"

COMPETENCE_INVALID = "Competência inválida"
PAYMENT_DATE_INVALID = "Data de pagamento inválida"
PAYMENT_DATE_NOT_FOUND = "Data de pagamento não encontrada"

AMOUNT_INVALID = "Valor inválido"
ADVANCE_NOT_FOUND = "Antecipação não encontrada"

UF_INVALID = "UF inválida"
CEP_INVALID = "CEP inválido"
DDD_INVALID = "DDD inválido"
PHONE_INVALID = "Telefone inválido"

# Reserved for faults of ours (SPEC 3.4); never use it for bad input.
INTERNAL_ERROR = "Erro interno ao processar registro"


def required(field: str) -> str:
    """Message for a missing or empty field; `field` is the name as the client sent it."""
    return f"Campo obrigatório: {field}"


def invalid(field: str) -> str:
    """Fallback message for a wrong type or format when no specific message exists."""
    return f"Campo inválido: {field}"
