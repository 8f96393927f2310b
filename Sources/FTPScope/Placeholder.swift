// FTPScope
