"""Every message of the catalog, pinned to the literal text of SPEC 2.2.

Route tests may take their expected messages from `itg.domain.messages`; this test makes sure
that a typo in the catalog cannot pass the suite that way: each constant is compared with the
SPEC's text written out here, byte for byte, and the catalog holds no message the SPEC lacks.
"""

from __future__ import annotations

import pytest

from itg.domain import messages

SPEC_MESSAGES = {
    "CPF_INVALID": "CPF Inválido",
    "PIS_INVALID": "PIS Inválido",
    "EMAIL_INVALID": "E-mail inválido",
    "CNPJ_CPF_INVALID": "CNPJ/CPF inválido",
    "CPF_TAKEN": "CPF já cadastrado.",
    "PIS_TAKEN": "PIS já cadastrado.",
    "EMAIL_TAKEN": "E-mail já cadastrado.",
    "MATRICULA_TAKEN": "Matrícula já cadastrada.",
    "ADMISSION_DATE_INVALID": "Data de admissão inválida",
    "DISMISSAL_DATE_INVALID": "Data de demissão inválida",
    "DISMISSAL_BEFORE_ADMISSION": "Data de demissão anterior à data de admissão",
    "PREVIOUS_MATRICULA_NOT_FOUND": "Matrícula anterior não encontrada",
    "SCHEDULE_NOT_FOUND": "Escala não encontrada",
    "COST_CENTER_NOT_FOUND": "Centro de custo não encontrado",
    "SUBSIDIARY_NOT_FOUND": "Filial não encontrada",
    "EMPLOYEE_NOT_FOUND": "Funcionário não encontrado",
    "ABSENCE_REASON_NOT_FOUND": "Motivo de afastamento não encontrado",
    "OPERATION_INVALID": "Operação inválida",
    "START_DATE_INVALID": "Data inicial inválida",
    "END_DATE_INVALID": "Data final inválida",
    "END_BEFORE_START": "Data final anterior à data inicial",
    "INTERNAL_CODE_TAKEN": "Código interno já cadastrado",
    "ABSENCE_NOT_FOUND": "Afastamento não encontrado",
    "PERIOD_LOCKED": "Período bloqueado",
    "ABSENCE_OVERLAP": "Afastamento sobreposto a outro afastamento",
    "PROFILE_NOT_FOUND": "Perfil não encontrado",
    "USER_NOT_FOUND": "Usuário não encontrado",
    "COMPETENCE_INVALID": "Competência inválida",
    "PAYMENT_DATE_INVALID": "Data de pagamento inválida",
    "PAYMENT_DATE_NOT_FOUND": "Data de pagamento não encontrada",
    "AMOUNT_INVALID": "Valor inválido",
    "ADVANCE_NOT_FOUND": "Antecipação não encontrada",
    "UF_INVALID": "UF inválida",
    "CEP_INVALID": "CEP inválido",
    "DDD_INVALID": "DDD inválido",
    "PHONE_INVALID": "Telefone inválido",
    "INTERNAL_ERROR": "Erro interno ao processar registro",
}


@pytest.mark.parametrize(("name", "text"), SPEC_MESSAGES.items())
def test_each_catalog_message_is_the_spec_text(name: str, text: str):
    assert getattr(messages, name) == text


def test_the_catalog_holds_no_message_the_spec_lacks():
    constants = {name for name in vars(messages) if name.isupper()}
    assert constants == set(SPEC_MESSAGES)


def test_the_field_messages_name_the_field_as_sent():
    assert messages.required("dataAdmissao") == "Campo obrigatório: dataAdmissao"
    assert messages.invalid("localizacoes") == "Campo inválido: localizacoes"
