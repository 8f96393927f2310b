print("ftpscope")
