module example.com/snagfs/logstore

go 1.19
