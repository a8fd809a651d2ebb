#!/usr/bin/env python3
"""Writes the small fixture files of the shared crate's corpus test (run once; the files are
committed). Large inputs (1,000+ columns, a huge field) are generated inside the test."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def w(name, data, enc="utf-8"):
    if isinstance(data, str):
        data = data.encode(enc)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# --- encodings ---
w("utf8_bom.csv", "\ufefffirst_name,last_name,email,accepts_marketing\nIvan,Petrov,ivan@example.com,yes\nMaria,Ivanova,maria@example.com,no\n")
w("utf8_no_bom_bulgarian.csv", "Име;Фамилия;Имейл;Маркетинг\nИван;Петров;ivan@abv.bg;да\nМария;Иванова;maria@abv.bg;не\n")
w("utf16le_bom_tab.csv", "\ufeffFirst Name\tLast Name\tE-mail Address\r\nJosé\tGarcía\tjose@example.es\r\nИван\tПетров\tivan@abv.bg\r\n", "utf-16-le")
w("utf16be_bom.csv", "\ufeffemail,name\r\nivan@example.com,Ivan Petrov\r\n", "utf-16-be")
w("win1251_semicolon_no_header.csv", "Иван;Петров;ivan@abv.bg;да;VIP\r\nМария;Георгиева;maria@mail.bg;не;VIP\r\nПетър;Димитров;petar@dir.bg;;Обикновени\r\nГеорги;Стоянов;georgi@gbg.bg;да;VIP\r\nЕлена;Николова;elena@abv.bg;не;VIP\r\n", "cp1251")
w("win1252_western.csv", "First Name,Last Name,Email,Notes\nJosé,Müller,jose@example.de,Café owner\nZoë,Françoise,zoe@example.fr,Prefers Ångström units\n", "cp1252")
w("utf8_forced_on_win1251.csv", "Име;Фамилия;Имейл\nИван;Петров;ivan@abv.bg\n", "cp1251")
w("utf8_forced_on_win1251_ascii_header.csv", "first_name;last_name;email\nИван;Петров;ivan@abv.bg\nMaria;Ivanova;maria@abv.bg\n", "cp1251")
w("utf8_with_invalid_bytes.csv",
  "Име;Фамилия;Имейл\nИван;Петров;ivan@abv.bg\nМария;Ива".encode() + b"\xff"
  + "нова;maria@abv.bg\nПетър;Димитров;petar@abv.bg\nГеорги;Стоянов;georgi@abv.bg\n".encode())
w("binary_png.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00")
w("binary_xlsx.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml")
w("binary_random.csv", bytes((i * 37 + 11) % 256 for i in range(600)))

# --- delimiters and line ends ---
w("comma_lf.csv", "email,first_name,last_name\nivan@example.com,Ivan,Petrov\nmaria@example.com,Maria,Ivanova\n")
w("semicolon_crlf.csv", "email;first_name;last_name\r\nivan@example.com;Ivan;Petrov\r\nmaria@example.com;Maria;Ivanova\r\n")
w("tab.csv", "email\tfirst_name\tnote\nivan@example.com\tIvan\tlikes, commas; and semicolons\nmaria@example.com\tMaria\tok\n")
w("pipe.csv", "email|first_name|last_name\nivan@example.com|Ivan|Petrov\nmaria@example.com|Maria|Ivanova\n")
w("lone_cr.csv", "email,first_name\rivan@example.com,Ivan\rmaria@example.com,Maria\r")
w("no_trailing_newline.csv", "email,first_name\nivan@example.com,Ivan\nmaria@example.com,Maria")
w("semicolon_decimal_commas.csv", "Имейл;Име;Общо похарчено\nivan@abv.bg;Иван;12,50\nmaria@abv.bg;Мария;3,99\npetar@abv.bg;Петър;100,00\n")

# --- header, preamble, blank lines ---
w("no_header.csv", "ivan@example.com,Ivan Petrov,yes\nmaria@example.com,Maria Ivanova,no\npetar@example.com,Petar Dimitrov,\n")
w("preamble.csv", "Customers export 2024-05-01;;;\n;;;\n\nfirst_name;last_name;email;group\nIvan;Petrov;ivan@example.com;VIP\nMaria;Ivanova;maria@example.com;\n")
w("blank_lines.csv", "\n\nemail,first_name\n\nivan@example.com,Ivan\n\n\n,\nmaria@example.com,Maria\n\n")
w("header_only.csv", "first_name,last_name,email\n")
w("header_only_no_newline.csv", "Email;Name")
w("empty.csv", "")
w("whitespace_only.csv", "\r\n  \n\n")
w("single_column_emails.csv", "ivan@example.com\nmaria@example.com\nbad-address\n")
w("single_column_with_header.csv", "Contacts\nivan@example.com\nmaria@example.com\n")

# --- quotes ---
w("quotes_embedded.csv", 'first_name,last_name,email,note\n"Ivan ""Vanko""",Petrov,ivan@example.com,"said ""hi"""\n"Maria, Jr.",Ivanova,maria@example.com,""\n')
w("newlines_in_quotes.csv", 'email,first_name,note\r\nivan@example.com,Ivan,"first line\r\nsecond line, with comma\r\nthird"\r\nmaria@example.com,Maria,plain\r\n')
w("unbalanced_quote.csv", 'first_name,last_name,email\nIvan,Petrov,ivan@example.com\n"Maria,Ivanova,maria@example.com\nPetar,Dimitrov,petar@example.com\nGeorgi,Stoyanov,georgi@example.com\n')
w("unbalanced_quote_closed_later.csv", 'first_name,email,note\n"Ivan,ivan@example.com,one\nMaria,maria@example.com,two\nPetar,petar@example.com,"three"\nGeorgi,georgi@example.com,four\n')
w("stray_quote.csv", 'first_name,last_name,email\nIv"an,Pet"rov,ivan@example.com\nMaria,O"Neil,maria@example.com\n')
w("ragged_rows.csv", "first_name,last_name,email\nIvan,Petrov,ivan@example.com\nMaria,maria@example.com\nPetar,Dimitrov,petar@example.com,,\nGeorgi,Stoyanov,georgi@example.com,extra data\njust-one-cell\n")

# --- control characters ---
w("nul_control.csv", "first_name,last_name,email,note\nIv\x00an,Pe\x07trov,ivan@example.com,line\x00one\x1b\nMaria\t,  Ivanova  ,\x00maria@example.com,\"tab\there\r\nnext\"\n")

# --- emails ---
w("emails.csv", "\n".join([
    "email,first_name",
    "IVAN@EXAMPLE.COM,Upper",
    "  maria@example.com  ,Spaces",
    "petar@пример.бг,IDN",
    "Petar@xn--e1afmkfd.xn--90ae,IDN punycode same as above",
    "Ivan@Example.com,Same as first in other case",
    "not-an-email,Invalid",
    "a b@example.com,Inner space",
    "two@@example.com,Double at",
    "nodomain@,No domain",
    "x@localhost,No dot",
    "" + "a" * 65 + "@example.com,Local too long",
    "b" * 64 + "@" + "c" * 63 + "." + "d" * 63 + "." + "e" * 60 + ".com,Total too long",
    ",Missing",
    "<georgi@example.com>,Angle brackets",
]) + "\n")

# --- consent ---
vals = ["yes", "no", "YES", "No", "true", "false", "1", "0", "y", "n", "да", "не", "Да", "НЕ", "subscribed", "unsubscribed", "", "maybe", "2", "si"]
w("consent.csv", "email,accepts_marketing\n" + "".join(f"c{i}@example.com,{v}\n" for i, v in enumerate(vals)))

# --- hostile cells ---
w("hostile.csv", 'first_name,last_name,email,note\n"=HYPERLINK(""http://evil.example"",""click"")",Petrov,ivan@example.com,"+cmd|\' /C calc\'!A0"\n@SUM(1+1),-Ivanova,maria@example.com,\'=neutralised by an export\n\'plain quote,Smith,smith@example.com,-5\n')

# --- names ---
w("full_name_only.csv", "Name,Email\nIvan Petrov,ivan@example.com\n\"Ivanova, Maria\",maria@example.com\nCher,cher@example.com\nPetar Dimitrov Georgiev,petar@example.com\n")

# --- real-export-shaped headers ---
w("shopify.csv", "First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags\n"
  "Ivan,Petrov,ivan@example.com,yes,ACME,1 Main St,,Sofia,,BG,1000,+359888123456,+359888123456,no,120.50,3,VIP customer,no,\"vip, newsletter\"\n"
  "Maria,Ivanova,maria@example.com,no,,,,Plovdiv,,BG,4000,,,no,0.00,0,,no,\n")
w("woocommerce.csv", "id,first_name,last_name,user_email,user_login,billing_first_name,billing_last_name,billing_company,billing_address_1,billing_address_2,billing_city,billing_postcode,billing_country,billing_state,billing_email,billing_phone\n"
  "12,Ivan,Petrov,ivan@example.com,ivanp,Ivan,Petrov,,1 Main St,,Sofia,1000,BG,,ivan@example.com,0888123456\n"
  "13,Maria,Ivanova,maria@example.com,mariai,Maria,Ivanova,ACME,2 Side St,,Varna,9000,BG,,billing@acme.example,0899123456\n")
w("mailchimp.csv", "Email Address,First Name,Last Name,Address,Phone Number,Birthday,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS\n"
  "ivan@example.com,Ivan,Petrov,,,,2,2023-01-05 10:00:00,,2023-01-05 10:01:00,1.2.3.4,,,,,,BG,,2023-06-01 09:00:00,123,abc,,\"customers\"\n")
w("hubspot.csv", "Record ID,First Name,Last Name,Email,Phone Number,Lifecycle Stage,Contact owner,Last Activity Date,Lead Status,Marketing contact status,Create Date\n"
  "101,Ivan,Petrov,ivan@example.com,+359888123456,customer,Anna,2024-01-02 10:00,Open,Marketing contact,2023-05-06 11:00\n"
  "102,Maria,Ivanova,maria@example.com,,lead,Anna,,New,Non-marketing contact,2023-05-07 11:00\n")
w("outlook.csv", "First Name,Middle Name,Last Name,Title,Suffix,Nickname,E-mail Address,E-mail 2 Address,E-mail 3 Address,Home Phone,Business Phone,Mobile Phone,Company,Job Title,Business Street,Business City,Business State,Business Postal Code,Business Country/Region,Birthday,Notes\r\n"
  "Ivan,,Petrov,,,,ivan@example.com,ivan.petrov@work.example,,,,+359888123456,ACME,Manager,\"1 Main St\r\nFloor 2\",Sofia,,1000,Bulgaria,1/2/1980,\"Met at the fair\"\r\n")
w("cloudcart_bg.csv", "Име;Фамилия;Цяло име;Имейл адрес;Забележка;Приема маркетинг;Клиентска група;Телефон;Адрес;Град;Поръчки\r\n"
  "Иван;Петров;Иван Петров;ivan@abv.bg;Редовен клиент;да;VIP;0888123456;ул. Витоша 1;София;5\r\n"
  "Мария;Иванова;Мария Иванова;maria@abv.bg;;не;;;;Пловдив;0\r\n", "cp1251")
w("google_contacts.csv", "Name,Given Name,Additional Name,Family Name,Nickname,Birthday,Notes,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value\n"
  "Ivan Petrov,Ivan,,Petrov,,1980-02-01,Friend,* Home,ivan@example.com,Mobile,+359888123456\n")
w("export_reimport.csv", "\ufefffirst_name;last_name;email;note;accepts_marketing;group;created_at\r\nIvan;Petrov;ivan@example.com;\"multi\r\nline\";yes;VIP;2024-05-06T07:08:09Z\r\n'=HYPERLINK(\"x\");;maria@example.com;'-5;no;Default;2024-05-06T07:08:10Z\r\n")
w("duplicates.csv", "email,first_name\nivan@example.com,Ivan 1\nmaria@example.com,Maria\nIVAN@example.com,Ivan 2\nivan@EXAMPLE.com,Ivan 3\n")
w("missing_email_column.csv", "First Name,Last Name\nIvan,Petrov\nMaria,Ivanova\n")
