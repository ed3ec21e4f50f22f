"""Examples of the subsidies service's bankfile feature (shown in the OpenAPI document)."""

RESULT_FILE_EXAMPLE = (
    "line_id,status,amount_fen,bank_reference,reason\r\n"
    "3f0e…,paid,500000,ABC20200612001,\r\n"
    "9b1c…,failed,50000,,account closed\r\n"
)
