// FTPAnalysis
