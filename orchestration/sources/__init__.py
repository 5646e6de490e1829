"""Sources of raw data: where landing rows come from and how they reach `raw.<table>`.

files       find a contract table's landing files (CSV, Parquet, or a folder of parts)
raw_loader  validate staged rows of any source and replace `raw.<table>` atomically
dataverse   the Dynamics 365 / Dataverse Web API (RA_SOURCE=dataverse)
exchange    Exchange Online mail and meetings through Microsoft Graph (RA_EXCHANGE=graph)
"""
