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

# --- matching: real-shaped headers and values of other systems and languages ---
w("shopify_legacy.csv", "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,Country,Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,Tax Exempt\n"
  "Ivan,Petrov,ivan@example.com,ACME,1 Main St,,Sofia,Sofia City,,Bulgaria,BG,1000,+359888123456,yes,120.50,3,vip,Likes blue,no\n"
  "Maria,Ivanova,maria@example.com,,2 Side St,,Varna,,,Bulgaria,BG,9000,,no,0.00,0,,,no\n")
w("klaviyo.csv", "Email,First Name,Last Name,Phone Number,Address,City,State / Region,Country,Zip Code,Source,Email Marketing Consent,Email Marketing Consent Timestamp,Klaviyo ID,Date Added,Last Open,Organization\n"
  "ivan@example.com,Ivan,Petrov,+359888123456,1 Main St,Sofia,,Bulgaria,1000,Signup form,SUBSCRIBED,2024-02-01 10:00:00,01HABC,2024-02-01 10:00:00,2024-05-01 09:00:00,ACME\n"
  "maria@example.com,Maria,Ivanova,,,Varna,,Bulgaria,,Import,UNSUBSCRIBED,2024-03-01 10:00:00,01HABD,2024-01-05 08:00:00,,\n"
  "petar@example.com,Petar,Georgiev,,,,,,,API,NEVER_SUBSCRIBED,,01HABE,2024-01-06 08:00:00,,\n")
w("mailchimp_cleaned.csv", "Email Address,First Name,Last Name,Address,Phone Number,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES\n"
  "old@example.com,Georgi,Stoyanov,,,1,2019-01-05 10:00:00,,2019-01-05 10:01:00,1.2.3.4,,,,,,BG,,2022-06-01 09:00:00,Spring sale,abc123,123,abc,\n"
  "gone@example.com,Elena,Nikolova,,,1,2019-02-05 10:00:00,,2019-02-05 10:01:00,1.2.3.5,,,,,,BG,,2022-06-01 09:00:00,Spring sale,abc123,124,abd,\n")
w("legacy_accounting.csv", "Cust_ID,Cust_Name,Cntct_Fst,Cntct_Lst,Cntct_Eml,Addr1,Addr2,City,St,Zip,Phn1,Fax,Tax1,Tax2,First Date,Last Date,Bal_Due,Cr_Limit,Inactive,Terms\n"
  "C0001,Acme Tools Ltd,John,Smith,jsmith@acme.example,12 Mill Rd,,Leeds,,LS1 4AB,0113 496 0000,,Y,N,4/20/09,11/3/12,1250.00,5000,N,NET30\n"
  "C0002,Blue Sky Trading Inc.,Mary,Jones,mary@bluesky.example,7 High St,Unit 2,York,,YO1 7HB,01904 555 123,,N,N,6/1/10,2/14/15,0.00,2500,N,NET15\n"
  "C0003,Oak Farm LLC,Peter,Brown,,1 Farm Ln,,Hull,,HU1 1AA,,,Y,Y,9/9/11,9/9/19,310.10,1000,Y,COD\n")
w("headerless_company.csv", "Ivan,Petrov,ivan@example.com,Blue Sky Trading,Sofia\nMaria,Ivanova,maria@example.com,Green Farm,Varna\nPetar,Georgiev,petar@example.com,Oak Tools,Ruse\n")
w("bulgarian_export.csv", "\ufeffИме;Фамилия;Имейл;Телефон;Фирма;ЕИК;Град;Дата на регистрация;Абониран за бюлетин;Група\r\n"
  "Иван;Петров;ivan@abv.bg;0888123456;Акме ООД;123456789;София;20.04.2009;да;VIP\r\n"
  "Мария;Иванова;maria@abv.bg;;;;Пловдив;03.11.2012;не;\r\n")
w("german.csv", "Anrede;Vorname;Nachname;E-Mail-Adresse;Telefon;Straße;PLZ;Ort;Firma;Geburtstag;Newsletter;Notizen;Kundengruppe\r\n"
  "Herr;Jürgen;Müller;juergen@example.de;+49 30 1234567;Hauptstr. 1;10115;Berlin;Müller GmbH;01.02.1970;ja;Stammkunde;Händler\r\n"
  "Frau;Anna;Schmidt;anna@example.de;;;80331;München;;;nein;;\r\n")
w("french.csv", "Civilité;Prénom;Nom;Courriel;Téléphone;Adresse;Code postal;Ville;Société;Date de naissance;Remarque\r\n"
  "M.;Jean;Dupont;jean@example.fr;01 23 45 67 89;1 rue de Rivoli;75001;Paris;;12/05/1980;Client fidèle\r\n"
  "Mme;Zoé;Lefèvre;zoe@example.fr;;;69001;Lyon;Lefèvre SARL;;\r\n", "cp1252")
w("spanish.csv", "Nombre,Apellidos,Correo electrónico,Teléfono,Dirección,Ciudad,Empresa,Fecha de alta,Notas\n"
  "José,García López,jose@example.es,+34 912 345 678,Calle Mayor 1,Madrid,,2021-03-04,Cliente habitual\n"
  "Lucía,Martínez,lucia@example.es,,,Sevilla,Martínez SL,2022-05-06,\n")
w("russian.csv", "Фамилия;Имя;Отчество;Email;Телефон;Город;Дата рождения;Комментарий;Группа\r\n"
  "Иванов;Сергей;Петрович;sergey@example.ru;+7 495 123-45-67;Москва;01.02.1980;Постоянный клиент;Опт\r\n"
  "Смирнова;Ольга;Ивановна;olga@example.ru;;Казань;;;Розница\r\n", "cp1251")
w("europe_misc.csv", "Nome;Cognome;Voornaam;Achternaam;Imię;Nazwisko;E-mailadres;Telefoonnummer;Sobrenome;Uwagi\r\n"
  "Marco;Rossi;Jan;Jansen;Anna;Kowalska;marco@example.it;+31 20 123 4567;Silva;stały klient\r\n")
