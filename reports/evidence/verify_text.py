"""VERIFY.txt: the exact public commands that check a packet, with what each proves.

Lines starting with `$ ` are commands, run with bash from the directory the packet was
unpacked into, with PACKET set to the packet file's path; the tests run them verbatim.
"""

from __future__ import annotations

from reports.evidence import layout

COMMAND_PREFIX = "$ "


def render(*, packet_name: str, fingerprint: str, has_timestamp: bool,
           has_tsa_ca: bool) -> bytes:
    p = COMMAND_PREFIX
    lines = [
        "证据包核验说明（VERIFY.txt）",
        "============================",
        "",
        f"证据包：{packet_name}",
        "以下每一步只用公开工具（unzip、sha256sum、openssl、jq、wacz、warcio），",
        "任何一步失败即说明证据包被改动或不完整。",
        "命令在 bash 中、于解包目录内执行；先设置 PACKET 为证据包文件的路径：",
        "",
        f"  export PACKET=/path/to/{packet_name}",
        "  mkdir packet && cd packet",
        "",
        "0. 解包（WACZ 即 ZIP 文件）",
        f'{p}unzip -q -o "$PACKET"',
        "",
        "1. 文件固定清单（电子数据提取固定清单）：逐个文件核对 SHA-256",
        f"{p}sha256sum -c --strict {layout.MANIFEST}",
        "",
        "2. 签名公钥指纹：输出应为下面这个值，并与移送函及导出方另行提供的指纹一致",
        f"   {fingerprint}",
        f"{p}openssl pkey -pubin -in {layout.PUBLIC_KEY} -outform DER | sha256sum"
        f" | grep -q '^{fingerprint} ' && echo 'fingerprint OK'",
        "",
        "3. Ed25519 签名：清单（MANIFEST.sha256）与封存清单（SEAL.sha256）均由上述密钥签名",
        f"{p}openssl pkeyutl -verify -pubin -inkey {layout.PUBLIC_KEY} -rawin"
        f" -in {layout.MANIFEST} -sigfile {layout.SIGNATURE}",
        f"{p}openssl pkeyutl -verify -pubin -inkey {layout.PUBLIC_KEY} -rawin"
        f" -in {layout.SEAL} -sigfile {layout.SEAL_SIGNATURE}",
        "",
        "4. 封存清单：清单之后生成的文件（签名、时间戳、封面、本说明）的 SHA-256",
        f"{p}sha256sum -c --strict {layout.SEAL}",
        "",
    ]
    if has_timestamp:
        ca = layout.TSA_CA if has_tsa_ca else "TSA-CA.pem"
        lines += [
            "5. 可信时间戳（RFC 3161）：时间戳覆盖 MANIFEST.sha256；第一条命令显示时间与机构",
            f"{p}openssl ts -reply -in {layout.TIMESTAMP} -text",
            f"{p}openssl ts -verify -in {layout.TIMESTAMP} -data {layout.MANIFEST}"
            f" -CAfile {ca}",
        ]
        lines.append(
            f"   （{ca} 为时间戳机构的根证书；包内副本仅为方便，应以机构公布的证书为准）"
            if has_tsa_ca else
            "   （TSA-CA.pem 为时间戳机构公布的根证书，需向机构获取）")
    else:
        lines += ["5. 可信时间戳：导出时未配置时间戳服务（CERTWATCH_TSA_URL），本包无时间戳。"]
    lines += [
        "",
        "6. WACZ 格式与其中每个文件的哈希（py-wacz）",
        f'{p}wacz validate -f "$PACKET"',
        "",
        "7. WARC 记录（抓取时保存的原始数据）的完整性摘要",
        f"{p}warcio check -v archive/*.warc.gz",
        "",
        "8. 保管链（custody/custody.jsonl）：每条记录的哈希、前后链接、最新记录中的文件哈希",
        f"{p}diff <(jq -r '.hash' {layout.CUSTODY}) <(jq -cS 'del(.hash)' {layout.CUSTODY}"
        " | while IFS= read -r e; do printf '%s' \"$e\" | sha256sum | cut -d' ' -f1; done)"
        " && echo 'custody hashes OK'",
        f"{p}diff <(jq -r '.prev' {layout.CUSTODY}) <(echo null; jq -r '.hash' {layout.CUSTODY}"
        " | head -n -1) && echo 'custody chain OK'",
        f"{p}jq -rs '.[-1].after | to_entries[] | \"\\(.value)  \\(.key)\"' {layout.CUSTODY}"
        " | sha256sum -c --strict",
        "",
        "也可用 certwatch 一次完成以上全部检查：",
        f"  certwatch evidence verify {packet_name}",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def commands(text: str) -> list[str]:
    return [line[len(COMMAND_PREFIX):] for line in text.splitlines()
            if line.startswith(COMMAND_PREFIX)]
